"""Reads for the audit: who may see which figures, and the figures."""
