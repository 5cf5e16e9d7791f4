"""See backpropagation: the graph an output was computed by, and the chain rule applied to it.

* ``graph(loss, params=model)``: a ``graphviz.Digraph``, one node per op and per leaf.
"""

from .graph import graph

__all__ = ["graph"]
