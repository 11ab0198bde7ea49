from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware

from jwt_sessions.middleware import JWTAuthenticationMiddleware

SESSION_PEER_PREFIX = "/peer-session/"


class BenchAuthenticationMiddleware(JWTAuthenticationMiddleware):
    """The product's JWT middleware, but Django's session auth on one prefix.

    Every other URL gets exactly the product's middleware; the session peer
    pays for SessionMiddleware and AuthenticationMiddleware, as a site using
    it would, and nobody pays for both.
    """

    def __init__(self, get_response):
        super().__init__(get_response)
        self.session_chain = SessionMiddleware(AuthenticationMiddleware(get_response))

    def __call__(self, request):
        if request.path_info.startswith(SESSION_PEER_PREFIX):
            return self.session_chain(request)
        return super().__call__(request)
