"""Leadership pages: the scorecard, the frontier and the compute-vs-post-training verdict.

They join evidence of every app without reading any app's tables. Each app owns the reads of its data
as selectors returning frozen read models (``<app>/selectors.py``, ``<app>/read_models.py``);
``sources.SOURCES`` lists one ``evidence.EvidenceSource`` per kind of evidence, whose ``read`` calls
those selectors and answers an ``Evidence`` (an entry per variant, page-level facts).
``selectors.build_payload`` walks the registry into one JSON payload, cached and saved as ``Report``
rows by ``services``; the pages, CSV exports and API render from that payload.

Adding a fifth kind of evidence: write the selector (and its read model) in the owning app, a reader
in ``sources`` that turns it into ``Evidence``, and one entry in ``SOURCES``. Nothing else in this
package changes; a page that shows it reads ``row[row_key]`` from the payload rows.
"""
