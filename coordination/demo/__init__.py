"""The demo city, 清河市 (Qinghe City), written for this project: one module per part.

The city is fictional. One district of three streets, each of two communities; the
organisations of a 12345 hotline (dispatch centre, government departments, street offices
and communities, party and mass organisations, enterprise partners); a two-level category
tree with Open311 service codes; deadline policies; routing rules; and a login for every
organisation. ``manage.py seed_demo`` writes it.

Every part is idempotent: each row is looked up by its natural key (code, username, rule
name, or category and priority) and written only when it differs from the data here.
The tables are laid out by hand, a row or two per entry, out of the formatter's way.
"""
