//! The `action` the caller follows, and the HTTP status each stands for.
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    Ok,
    BadRequest,
    InvalidClient,
    Unauthorized,
    Forbidden,
    InternalServerError,
    /// Authorization: the request is valid; log the user in, ask for consent (200, own page).
    Interaction,
    /// Authorization with `prompt=none` (OIDC Core §3.1.2.1): decide without showing anything —
    /// `/issue` if the user is logged in and has consented, `/fail` otherwise.
    NoInteraction,
    /// Redirect the user agent to `responseContent` (302 with `Location`).
    Location,
    /// PAR: the request was stored; relay `responseContent` (201).
    Created,
}

impl Action {
    /// Every action: the `action` label values registered at start.
    pub const ALL: [Action; 10] = [
        Action::Ok,
        Action::BadRequest,
        Action::InvalidClient,
        Action::Unauthorized,
        Action::Forbidden,
        Action::InternalServerError,
        Action::Interaction,
        Action::NoInteraction,
        Action::Location,
        Action::Created,
    ];

    /// The name as the answers write it (serde's, which a test holds it to).
    pub fn name(self) -> &'static str {
        match self {
            Action::Ok => "OK",
            Action::BadRequest => "BAD_REQUEST",
            Action::InvalidClient => "INVALID_CLIENT",
            Action::Unauthorized => "UNAUTHORIZED",
            Action::Forbidden => "FORBIDDEN",
            Action::InternalServerError => "INTERNAL_SERVER_ERROR",
            Action::Interaction => "INTERACTION",
            Action::NoInteraction => "NO_INTERACTION",
            Action::Location => "LOCATION",
            Action::Created => "CREATED",
        }
    }

    /// The status the caller sends to its client.
    pub fn http_status(self) -> u16 {
        match self {
            Action::Ok | Action::Interaction | Action::NoInteraction => 200,
            Action::Created => 201,
            Action::Location => 302,
            Action::BadRequest => 400,
            Action::InvalidClient | Action::Unauthorized => 401,
            Action::Forbidden => 403,
            Action::InternalServerError => 500,
        }
    }
}

#[cfg(test)]
mod tests;
