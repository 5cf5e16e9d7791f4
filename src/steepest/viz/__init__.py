"""See backpropagation: the graph an output was computed by, and the chain rule applied to it.

* ``graph(loss, params=model)``: a ``graphviz.Digraph``, one node per op and per leaf.
* ``gradient_flow(stats, path)``: mean and max |grad| per layer over training.
"""

from .gradflow import gradient_flow
from .graph import graph

__all__ = ["gradient_flow", "graph"]
