"""The example service's API: items for whoever the site's token names."""

from rest_framework.response import Response
from rest_framework.views import APIView

ITEMS = [
    {"sku": "MUG-1", "name": "Mug", "stock": 12},
    {"sku": "TEE-M", "name": "T-shirt (M)", "stock": 3},
]


class ItemsAPIView(APIView):
    """List the items, for an access token minted for this service."""

    def get(self, request):
        return Response({"user_id": request.user.id, "items": ITEMS})
