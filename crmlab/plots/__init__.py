"""Plotting and widget helpers, one module per course topic (drawn from the concept
functions' DataFrames; concept modules never import from here)."""
