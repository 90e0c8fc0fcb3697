"""The object-level audit: what is really stored, from an S3 Inventory or a live listing.

Bucket settings say what should happen; the objects say what did. The audit reads every version of
every recording (DuckDB over the inventory's files, Athena over the same files as a table, or a
read-only listing where no inventory exists) and judges it against the purpose's effective limit.
"""
