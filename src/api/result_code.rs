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
    DurationTooLong = "A001206", "A token duration is longer than tokens.max_lifetime_override_secs.";
    UnknownService = "A001207", "No service with this id is served here.";
    InternalError = "A001101", "dpopd failed to process the request.";
    // 004: the authorization request (A004001 is Authlete's); PAR answers the 0043xx codes too
    AuthorizationNoInteraction = "A004002", "The authorization request has prompt=none; the caller decides without showing anything (issue or fail).";
    AuthorizationInteraction = "A004001", "The authorization request is valid; the caller logs the user in and asks for consent.";
    AuthorizationServerError = "A004101", "dpopd could not process the authorization request.";
    AuthorizationParamsMalformed = "A004301", "The authorization request parameters are malformed.";
    AuthorizationClientUnknown = "A004302", "The authorization request has no client_id or an unknown one.";
    RedirectUriInvalid = "A004303", "The redirect_uri is missing or not registered for the client.";
    RequestUriInvalid = "A004304", "The request_uri is invalid, expired, another client's or already used.";
    ResponseTypeInvalid = "A004305", "The response_type is missing or not code.";
    AuthorizationScopeInvalid = "A004306", "The requested scope is malformed or not allowed for the client.";
    PkceInvalid = "A004307", "The PKCE parameters are missing, malformed or use a method other than S256.";
    DpopJktInvalid = "A004308", "The dpop_jkt parameter is not a SHA-256 JWK thumbprint.";
    ParRequired = "A004309", "The client must use pushed authorization requests.";
    AuthorizationGrantNotAllowed = "A004310", "The client is not allowed to use the authorization code flow.";
    AuthorizationParamInvalid = "A004311", "An authorization request parameter has an invalid value.";
    RequestObjectUnsupported = "A004312", "Request objects are not supported.";
    AuthorizationRequestTooLarge = "A004313", "The authorization request is too large to carry in a ticket or request_uri.";
    AuthorizationScopeTooMany = "A004314", "The scope parameter has more values than dpopd accepts in one request.";
    OidcParamInvalid = "A004315", "An OpenID Connect parameter (nonce, max_age, claims, acr_values, login_hint, ui_locales) is malformed.";
    Fapi2ParRequired = "A004316", "The client's profile is fapi2: its authorization requests must be pushed (FAPI 2.0 §5.3.2.2).";
    Fapi2RedirectUriRequired = "A004317", "The client's profile is fapi2: the pushed request must send redirect_uri (FAPI 2.0 §5.3.2.2).";
    Fapi2PkceRequired = "A004318", "The client's profile is fapi2: PKCE with code_challenge_method S256 is required (FAPI 2.0 §5.3.2.2).";
    // 040: the end of an authorization request, /issue and /fail (A040001 is Authlete's)
    AuthorizationIssued = "A040001", "The authorization request was processed successfully.";
    AuthorizationFailed = "A040002", "The authorization request failed; redirect the user agent with the error.";
    TicketServerError = "A040101", "dpopd could not process the ticket.";
    TicketInvalid = "A040201", "The ticket is not one dpopd issued, or was tampered with.";
    TicketExpired = "A040202", "The ticket has expired.";
    TicketUsed = "A040203", "The ticket was already used.";
    TicketScopeNotAllowed = "A040204", "The scopes are malformed or not allowed for the client.";
    TicketAuthenticationInvalid = "A040206", "authTime, acr, amr, sid or claims is malformed.";
    TicketFieldInvalid = "A040205", "A field is invalid: empty subject, description outside RFC 6749's characters, or a code too large.";
    // 046: pushed authorization requests
    RequestUriCreated = "A046001", "The pushed authorization request was accepted.";
    ParServerError = "A046101", "dpopd could not process the pushed authorization request.";
    ParClientAuthFailed = "A046301", "Client authentication failed.";
    ParClientAuthAmbiguous = "A046302", "The client used more than one authentication method or two client identifiers.";
    ParRequestUriGiven = "A046303", "A pushed authorization request may not contain request_uri.";
    ParDpopJktMismatch = "A046304", "The dpop_jkt parameter differs from the DPoP proof's key.";
    Fapi2DpopBindingRequired = "A046305", "The client's profile is fapi2: the pushed request must bind the code to a DPoP key with a proof or dpop_jkt (FAPI 2.0 §5.3.2.2, RFC 9449 §10).";
    // 047: delegated issuance, /auth/token/create
    TokenCreated = "A047001", "The tokens were created.";
    TokenCreateServerError = "A047101", "dpopd could not create the tokens.";
    TokenCreateGrantTypeUnsupported = "A047201", "The grant type is not supported for delegated issuance.";
    TokenCreateClientUnknown = "A047202", "The client is unknown.";
    TokenCreateSubjectMissing = "A047203", "The subject is missing.";
    TokenCreateScopeMalformed = "A047204", "A scope is malformed.";
    TokenCreateThumbprintInvalid = "A047205", "The dpopKeyThumbprint is not a SHA-256 JWK thumbprint.";
    TokenCreateThumbprintMismatch = "A047206", "The dpopKeyThumbprint differs from the DPoP proof's key.";
    TokenCreateDpopRequired = "A047207", "A DPoP key is required (the client's tokens must be DPoP-bound, or a DPoP header was counted) and none was given.";
    TokenCreateGrantNotAllowed = "A047208", "The client is not allowed to use this grant type.";
    TokenCreateScopeNotAllowed = "A047209", "A scope is not allowed for the client.";
    TokenCreateTooLarge = "A047210", "The properties and jwtAtClaims make a token too large to issue.";
    // 050, 052, 053: token endpoint successes (Authlete's codes)
    AuthorizationCodeIssued = "A050001", "The authorization code grant succeeded.";
    ClientCredentialsIssued = "A052001", "The client credentials grant succeeded.";
    RefreshTokenIssued = "A053001", "The refresh token grant succeeded.";
    // 051: token endpoint request errors
    TokenTooLarge = "A051201", "The properties and jwtAtClaims make a token too large to issue.";
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
    ScopeTooMany = "A051311", "The scope parameter has more values than dpopd accepts in one request.";
    Fapi2DpopProofRequired = "A051312", "The client's profile is fapi2: its access tokens are DPoP-bound, so every token request needs a DPoP proof (FAPI 2.0 §5.3.2.1).";
    StoreUnavailable = "A051101", "The store is unavailable or full; the request was refused.";
    SigningFailed = "A051102", "Token signing or sealing failed.";
    // 053: refresh token errors
    RefreshTokenInvalid = "A053301", "The refresh token is invalid or has expired.";
    RefreshTokenOtherClient = "A053302", "The refresh token was issued to another client.";
    RefreshTokenKeyMismatch = "A053303", "The refresh token is bound to another DPoP key.";
    RefreshTokenReused = "A053304", "A rotated refresh token was used again; its grant is revoked.";
    RefreshTokenRevoked = "A053305", "The refresh token has been revoked.";
    // 050: authorization code errors
    CodeInvalid = "A050301", "The authorization code is not one dpopd issued, or was tampered with.";
    CodeExpired = "A050302", "The authorization code has expired.";
    CodeOtherClient = "A050303", "The authorization code was issued to another client.";
    CodeRedirectUriMismatch = "A050304", "The redirect_uri differs from the authorization request's.";
    PkceVerifierInvalid = "A050305", "The code_verifier is missing, malformed or does not match the code_challenge.";
    CodeKeyMismatch = "A050306", "The authorization code is bound to another DPoP key.";
    CodeReused = "A050307", "The authorization code was already used; the tokens issued for it are revoked.";
    // 056: introspection (A056001 is Authlete's); userinfo answers these for token and proof
    // refusals
    IntrospectionOk = "A056001", "The access token is usable for this request.";
    IntrospectionOkUnboundDpop = "A056002", "The access token is usable; it is not DPoP-bound and was presented with a valid DPoP proof.";
    IntrospectionOkProofOnly = "A056003", "The DPoP proof is valid for the token and the key of dpopKeyThumbprint; the token itself was not read.";
    IntrospectionStoreUnavailable = "A056101", "The store is unavailable; the request was refused.";
    IssuerKeysUnavailable = "A056102", "The trusted issuer's keys are unavailable (never fetched, or stale); its tokens are refused.";
    IntrospectionThumbprintInvalid = "A056201", "dpopKeyThumbprint is not a base64url SHA-256 JWK thumbprint.";
    IntrospectionThumbprintWithRequirements = "A056202", "dpopKeyThumbprint cannot be combined with scopes, subject or resources.";
    AccessTokenMissing = "A056301", "The request carried no access token.";
    AccessTokenInvalid = "A056302", "The access token is not a valid token of this service.";
    AccessTokenExpired = "A056303", "The access token has expired.";
    AccessTokenNotYetValid = "A056304", "The access token is not yet valid.";
    AccessTokenRevoked = "A056305", "The access token has been revoked.";
    DpopBoundTokenAsBearer = "A056306", "A DPoP-bound access token was presented as a Bearer token.";
    ResourceDpopProofMissing = "A056307", "The access token needs a DPoP proof and none was presented.";
    ResourceDpopProofInvalid = "A056308", "The DPoP proof is invalid.";
    ResourceDpopProofReplayed = "A056309", "The DPoP proof has been used before.";
    ResourceDpopNonceRequired = "A056310", "A valid DPoP server nonce is required.";
    ResourceDpopKeyMismatch = "A056311", "The DPoP proof key is not the key the access token is bound to.";
    InsufficientScope = "A056312", "The access token does not grant every required scope.";
    SubjectMismatch = "A056313", "The access token was issued for another subject.";
    ResourceNotInAudience = "A056314", "A required resource is not in the access token's audience.";
    AccessTokenEmpty = "A056315", "The access token is empty: a scheme without credentials.";
    DpopRequiredTokenNotBound = "A056316", "The resource accepts DPoP-bound access tokens only, and this one is not bound.";
    AccessTokenIssuerUnknown = "A056317", "The access token's iss is neither dpopd's issuer nor a trusted issuer.";
    AccessTokenAudienceInvalid = "A056318", "The access token's aud holds none of the trusted issuer's audience values.";
    AccessTokenTypeInvalid = "A056319", "The access token's typ is not at+jwt.";
    AccessTokenAlgNotAllowed = "A056320", "The access token's alg is not allowed for its issuer.";
    AccessTokenKeyUnknown = "A056321", "No key of the issuer has the access token's kid.";
    AccessTokenScopeClaimInvalid = "A056322", "The access token's scope claim is malformed.";
    // 057: RFC 7662 standard introspection
    TokenActive = "A057001", "The token is active.";
    TokenInactive = "A057002", "The token is not active.";
    StandardIntrospectionStoreUnavailable = "A057101", "The store is unavailable; the request was refused.";
    StandardIntrospectionParamsMalformed = "A057301", "The introspection request parameters are malformed.";
    StandardIntrospectionTokenMissing = "A057302", "The introspection request has no token.";
    StandardIntrospectionClientAuthFailed = "A057303", "The client assertion in the introspection request did not authenticate a client.";
    StandardIntrospectionClientAuthAmbiguous = "A057304", "The introspection request's client assertion came with a secret or a second client identifier.";
    // 058: userinfo (token and proof refusals use the 056 codes)
    UserInfoOk = "A058001", "The access token is usable for the userinfo endpoint.";
    UserInfoIssued = "A058002", "The userinfo response was built; send responseContent with contentType.";
    UserInfoSigningFailed = "A058101", "dpopd could not sign the userinfo response.";
    UserInfoOpenidMissing = "A058301", "The access token does not grant the openid scope.";
    // 059: RFC 7009 revocation
    AccessTokenRevocationDone = "A059001", "The access token has been revoked.";
    RefreshFamilyRevocationDone = "A059002", "The refresh token's grant has been revoked: its rotation family and every access token issued with it.";
    NothingToRevoke = "A059003", "The token is unknown or expired; nothing was revoked.";
    RevocationOtherClient = "A059004", "The token was issued to another client; nothing was revoked.";
    RevocationStoreUnavailable = "A059101", "The store is unavailable; nothing was revoked.";
    RevocationParamsMalformed = "A059301", "The revocation request parameters are malformed.";
    RevocationTokenMissing = "A059302", "The revocation request has no token.";
    RevocationClientAuthFailed = "A059303", "Client authentication failed.";
    RevocationClientAuthAmbiguous = "A059304", "The client used more than one authentication method or two client identifiers.";
    // 254: DPoP at the token endpoint (Authlete's codes)
    DpopProofInvalid = "A254301", "The DPoP proof is invalid.";
    DpopProofReplayed = "A254302", "The DPoP proof has been used before.";
    DpopNonceRequired = "A254307", "A valid DPoP server nonce is required.";
    // 060: the client's Authorization header relayed as clientAuthorization (token endpoint,
    // PAR, revocation), RFC 6749 §2.3.1 and RFC 7617
    ClientAuthorizationNotBasic = "A060301", "The client's Authorization header does not use the Basic scheme.";
    ClientAuthorizationNotBase64 = "A060302", "The client's Basic credentials are missing or not base64.";
    ClientAuthorizationNoColon = "A060303", "The client's decoded Basic credentials have no colon.";
    ClientAuthorizationBadEncoding = "A060304", "The client's Basic client_id or secret is not form-urlencoded UTF-8.";
    // 063: private_key_jwt client assertions (token endpoint, PAR, revocation, standard
    // introspection), RFC 7523 §3
    ClientAssertionStoreUnavailable = "A063101", "The store did not record the client assertion's jti; the client is not authenticated.";
    ClientAssertionTypeUnsupported = "A063301", "client_assertion_type is missing or not urn:ietf:params:oauth:client-assertion-type:jwt-bearer.";
    ClientAssertionMissing = "A063302", "client_assertion_type was sent without client_assertion.";
    ClientAssertionMalformed = "A063303", "The client assertion is not a well-formed signed JWT.";
    ClientAssertionHeaderKey = "A063304", "The client assertion's header carries jwk, jku, x5u, x5c or crit.";
    ClientAssertionAlgNotAllowed = "A063305", "The client assertion's alg is not allowed for the client.";
    ClientAssertionUnknownKey = "A063306", "No key of the client's JWK Set matches the client assertion's kid.";
    ClientAssertionNoKeys = "A063307", "No usable JWK Set is known for the client.";
    ClientAssertionBadSignature = "A063308", "The client assertion's signature does not verify with the client's key.";
    ClientAssertionIssuerSubject = "A063309", "The client assertion's iss and sub are not both the client id.";
    ClientAssertionAudience = "A063310", "The client assertion's aud is not the issuer identifier.";
    ClientAssertionExpMissing = "A063311", "The client assertion has no exp.";
    ClientAssertionExpired = "A063312", "The client assertion has expired.";
    ClientAssertionLifetimeTooLong = "A063313", "The client assertion's exp is further ahead than tokens.client_assertion_max_lifetime_secs.";
    ClientAssertionNotYetValid = "A063314", "The client assertion's nbf is in the future.";
    ClientAssertionIssuedInFuture = "A063315", "The client assertion's iat is in the future.";
    ClientAssertionJtiMissing = "A063316", "The client assertion has no jti.";
    ClientAssertionReplayed = "A063317", "The client assertion's jti has been used before.";
    // 062: revoking every token of a subject, a client or a pair, /auth/token/revoke
    TokensRevokedBefore = "A062001", "Every token of the subject, client or pair issued up to revokedBefore is revoked.";
    TokenRevokeServerError = "A062101", "The store did not record the revocation; nothing was revoked.";
    TokenRevokeTargetMissing = "A062201", "Give a subject, a clientId or both; an empty value is none.";
    TokenRevokeClientUnknown = "A062202", "The clientId is not a configured client.";
    TokenRevokeOneToken = "A062203", "accessTokenIdentifier and refreshTokenIdentifier are not supported; revoke one token with /auth/revocation.";
    // 061: explaining a DPoP proof, /auth/dpop/explain (a support tool)
    // 070: gateway mode (docs/gateway.md)
    GatewayRouteUnknown = "A070201", "No [[gateway.routes]] has this name.";
    GatewayRequestIncomplete = "A070202", "The gateway's sub-request does not say which request it asks about, or says it in a form dpopd cannot use.";
    GatewaySeveralAuthorizations = "A070301", "The client sent more than one Authorization header, or one with more than one credential.";
    ProofExplained = "A061001", "The proof was explained: every check, and whether the endpoint would accept it.";
    ExplainClientUnknown = "A061201", "clientId names no registered client.";
    ExplainRateLimited = "A061202", "The caller has made more explain calls than its explain_per_minute allows; try again later.";
}

impl ResultCode {
    /// `"[A052001] text"`, the `resultMessage` without call-specific detail.
    pub fn message(self) -> String {
        self.message_and(None)
    }

    /// `"[A254301] text detail"`: detail for the caller's logs, never secret material.
    pub fn message_with(self, detail: &str) -> String {
        self.message_and(Some(detail))
    }

    /// Either message, built in one buffer of the right size: every answer carries one, and
    /// `format!` grew its buffer twice for these lengths.
    fn message_and(self, detail: Option<&str>) -> String {
        let (code, text) = (self.code(), self.text());
        let detail_len = detail.map_or(0, |d| d.len() + 1);
        let mut message = String::with_capacity(code.len() + text.len() + 3 + detail_len);
        message.push('[');
        message.push_str(code);
        message.push_str("] ");
        message.push_str(text);
        if let Some(detail) = detail {
            message.push(' ');
            message.push_str(detail);
        }
        message
    }
}

#[cfg(test)]
mod tests;
