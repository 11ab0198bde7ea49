"""What jwt_sessions tells the rest of the site.

Every signal is sent inside the transaction that made the change, so a
receiver's writes (a security log, say) commit or roll back with it. The
sender is always the `Session` model.
"""

from django.dispatch import Signal

# A login session began: `session` (saved), `request`.
session_started = Signal()

# Sessions ended: `sessions` (a list, each with revoked_at and
# revoked_reason set), `reason` (a Session.RevokeReason), `request` (or
# None), and `one_by_one`: True when each was chosen by itself (a logout,
# "end this session", staff's action, a retired key), False when every
# session of one user ended at once (password change, "end all").
session_revoked = Signal()

# An already rotated refresh token came back after its grace interval: one
# of its two holders is not the user, and its session has been ended
# (session_revoked was sent too). `session`, `request`.
refresh_token_reused = Signal()

# A refresh token was exchanged for the next pair of its session: `session`
# (its refresh_jti is the new token's), `request` (or None).
session_refreshed = Signal()

# The user of a login proved who they are again (a step-up): `session` (its
# refresh_jti is the new pair's), `methods` (the RFC 8176 values just used),
# `request`.
session_stepped_up = Signal()
