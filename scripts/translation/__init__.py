"""Builders of the tiny translation models used by tests/translation and the benchmark."""
