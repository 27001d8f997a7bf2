"""Reading and writing files: bounded YAML/JSON documents, one reading layer for every input,
atomic all-or-none output files, and tables streamed block by block.
"""
