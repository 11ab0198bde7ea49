"""What mfa tells the rest of the site (sent inside the change's transaction)."""

from django.dispatch import Signal

# A second factor was set up: `user`, `authenticator`, `request`.
second_factor_added = Signal()

# A second factor was removed: `user`, `type` (an Authenticator.Type),
# `request`; `name` for a passkey.
second_factor_removed = Signal()

# A recovery code was used to log in or step up: `user`, `remaining` (how
# many are left), `request`.
recovery_code_used = Signal()

# New recovery codes replaced the old ones: `user`, `request`.
recovery_codes_regenerated = Signal()

# A passkey logged in or confirmed a login: `user`, `authenticator`,
# `request`.
passkey_used = Signal()

# A genuine signature of a passkey came with a signature counter that went
# backwards (the key may have been copied); the login was refused: `user`,
# `authenticator`, `request`.
passkey_counter_regressed = Signal()
