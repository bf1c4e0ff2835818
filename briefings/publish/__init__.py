"""Knowledge base -> edition: load, slice, render, figures, PDF, changes, archive, build."""
