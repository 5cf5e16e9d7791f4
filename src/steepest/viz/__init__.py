"""See backpropagation: the graph an output was computed by, and the chain rule applied to it.

* ``graph(loss, params=model)``: a ``graphviz.Digraph``, one node per op and per leaf.
* ``trace(loss)``: backpropagation as a table, the chain rule op by op with the numbers.
* ``gradient_flow(stats, path)``: mean and max |grad| per layer over training.
"""

from .gradflow import gradient_flow
from .graph import graph
from .trace import Trace, trace

__all__ = ["Trace", "gradient_flow", "graph", "trace"]
