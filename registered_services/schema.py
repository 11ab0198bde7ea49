"""How the OpenAPI schema describes the services' client authentication."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ServiceClientScheme(OpenApiAuthenticationExtension):
    target_class = "registered_services.authentication.ServiceClientAuthentication"
    name = "serviceClientAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": (
                "A registered service's client id and secret (manage.py "
                "register_service), as HTTP Basic; the introspection endpoint "
                "also takes them as the client_id and client_secret form fields."
            ),
        }
