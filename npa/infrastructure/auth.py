"""Bearer-token checks for writes: the admin token, or a partner's API key."""

import hmac

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

bearer = HTTPBearer(auto_error=False)


def bearer_token(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> str:
    if credentials is None or not credentials.credentials:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    return credentials.credentials


def is_admin(request: Request, token: str) -> bool:
    return hmac.compare_digest(token.encode(), request.app.state.runtime.settings.admin_token.encode())


def require_admin(request: Request, token: str = Depends(bearer_token)) -> None:
    if not is_admin(request, token):
        raise HTTPException(403, "admin token required", headers={"WWW-Authenticate": "Bearer"})

