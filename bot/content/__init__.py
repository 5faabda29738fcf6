"""Content: the YAML schema partners write, import/export, and lookups for the reply path."""
