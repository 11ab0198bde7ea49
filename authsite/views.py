from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe


@require_safe
def favicon(request):
    """Send browsers that ask for /favicon.ico by themselves to the site's icon."""
    # Looked up per request: with the manifest storage of production the
    # file's name carries its hash, so browsers may cache it for good.
    return redirect(static("favicon.ico"))
