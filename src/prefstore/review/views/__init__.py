"""One module per view of the review page."""
