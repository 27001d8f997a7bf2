"""Rendering finished results: terminal tables, JSON, CSV and Markdown, the HTML report and its
tables, and charts.
"""
