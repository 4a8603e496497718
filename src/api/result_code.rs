//! Every `resultCode` dpopd answers with: `A` + API group (3 digits) + class (0 success,
//! 1 dpopd error, 2 caller error, 3 client/request error) + sequence (2 digits). Authlete's
//! codes are reused where the condition is the same. `docs/result-codes.md` and `openapi.yaml`
//! list the same codes; a test keeps the three in step.

macro_rules! result_codes {
    ($($name:ident = $code:literal, $text:literal;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ResultCode { $($name,)* }

        impl ResultCode {
            pub const ALL: &'static [ResultCode] = &[$(ResultCode::$name,)*];

            pub fn code(self) -> &'static str {
                match self { $(ResultCode::$name => $code,)* }
            }

            pub fn text(self) -> &'static str {
                match self { $(ResultCode::$name => $text,)* }
            }
        }
    };
}

result_codes! {
    // 001: the API call itself (non-200 answers)
    CallerUnauthenticated = "A001201", "Caller credentials are missing or invalid.";
    CallerForbidden = "A001202", "The caller is not allowed to use this API.";
    MalformedRequest = "A001203", "The request body is not valid JSON or lacks a required field.";
    BodyTooLarge = "A001204", "The request body is larger than the configured limit.";
    InvalidField = "A001205", "A request field has an invalid value.";
    InternalError = "A001101", "dpopd failed to process the request.";
    // 050, 052, 053: token endpoint successes (Authlete's codes)
    AuthorizationCodeIssued = "A050001", "The authorization code grant succeeded.";
    ClientCredentialsIssued = "A052001", "The client credentials grant succeeded.";
    RefreshTokenIssued = "A053001", "The refresh token grant succeeded.";
    // 051: token endpoint request errors
    TokenParamsMalformed = "A051301", "The token request parameters are malformed.";
    GrantTypeMissing = "A051302", "The token request has no grant_type.";
    GrantTypeUnsupported = "A051303", "The grant type is not supported.";
    TokenParamMissing = "A051304", "A required token request parameter is missing.";
    ClientAuthFailed = "A051305", "Client authentication failed.";
    ClientAuthAmbiguous = "A051306", "The client used more than one authentication method or two client identifiers.";
    GrantNotAllowed = "A051307", "The client is not allowed to use this grant type.";
    ScopeNotAllowed = "A051308", "The requested scope is not allowed for the client.";
    DpopProofRequired = "A051309", "The client must present a DPoP proof.";
    ScopeMalformed = "A051310", "The scope parameter is malformed.";
    StoreUnavailable = "A051101", "The replay store is unavailable; the request was refused.";
    SigningFailed = "A051102", "Token signing or sealing failed.";
    // 053: refresh token errors
    RefreshTokenInvalid = "A053301", "The refresh token is invalid or has expired.";
    RefreshTokenOtherClient = "A053302", "The refresh token was issued to another client.";
    RefreshTokenKeyMismatch = "A053303", "The refresh token is bound to another DPoP key.";
    RefreshTokenReused = "A053304", "A rotated refresh token was used again; its family is revoked.";
    RefreshTokenRevoked = "A053305", "The refresh token has been revoked.";
    // 254: DPoP at the token endpoint (Authlete's codes)
    DpopProofInvalid = "A254301", "The DPoP proof is invalid.";
    DpopProofReplayed = "A254302", "The DPoP proof has been used before.";
    DpopNonceRequired = "A254307", "A valid DPoP server nonce is required.";
}

impl ResultCode {
    /// `"[A052001] text"`, the `resultMessage` without call-specific detail.
    pub fn message(self) -> String {
        format!("[{}] {}", self.code(), self.text())
    }

    /// `"[A254301] text detail"`: detail for the caller's logs, never secret material.
    pub fn message_with(self, detail: &str) -> String {
        format!("[{}] {} {}", self.code(), self.text(), detail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for rc in ResultCode::ALL {
            let c = rc.code();
            assert!(c.len() == 7 && c.starts_with('A') && c[1..].bytes().all(|b| b.is_ascii_digit()), "{c}");
            assert!(matches!(&c[4..5], "0" | "1" | "2" | "3"), "class digit of {c}");
            assert!(seen.insert(c), "duplicate {c}");
        }
    }
}
