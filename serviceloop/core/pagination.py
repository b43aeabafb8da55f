from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Cursor pagination over the primary key, newest first: stable under inserts."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 500
