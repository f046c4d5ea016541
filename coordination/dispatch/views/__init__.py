"""The dispatcher's pages: the staff's queue and case page (``staff``), the dispatch centre's
page (``dispatcher``). Every view parses a form, calls one service and says what happened."""
