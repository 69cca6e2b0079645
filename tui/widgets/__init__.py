"""Widgets grouped by what they show: the library tables, the training charts and metrics,
the token stream and sampling controls."""
