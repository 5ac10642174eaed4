from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from shadowvault.digits import ascii_int


class TitlePagination(PageNumberPagination):
    """Page numbers with a client-chosen page size (capped); a malformed page number is a 400."""

    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request: Request, view=None):
        for param in (self.page_query_param, self.page_size_query_param):
            value = request.query_params.get(param)
            if value is not None and not ascii_int(value):
                raise ValidationError({param: "Must be a positive integer."})
        return super().paginate_queryset(queryset, request, view)
