//! Issuance, the last step of every grant: the access token (bound to the proof's key when
//! there is one), the refresh token (new, rotated, or kept), and the RFC 6749 §5.1 body.
use super::{token_type, Prepared, Presented, TokenError};
use crate::clock::UnixTime;
use crate::dpop::proof::VerifiedProof;
use crate::jose::jwk::Jkt;
use crate::jose::secrets::random_id;
use crate::json::JsonObject;
use crate::oauth::clients::{Client, GrantType};
use crate::oauth::id_token::{self, OPENID};
use crate::oauth::refresh::RefreshRecord;
use crate::oauth::tokens::{self, AccessGrant, MintError, TokenType};
use crate::oauth::{Core, Property};

/// Everything the caller gets back from a successful token call.
#[derive(Debug, Clone)]
pub struct Issued {
    pub grant: GrantType,
    pub client_id: String,
    pub subject: String,
    pub scopes: Vec<String>,
    pub access_token: String,
    pub access_expires_at: UnixTime,
    pub access_duration: i64,
    pub refresh_token: Option<String>,
    pub refresh_expires_at: Option<UnixTime>,
    pub token_type: TokenType,
    pub jkt: Option<Jkt>,
    pub properties: Vec<Property>,
    /// `iat` of the accepted proof, for the clock-drift histogram.
    pub proof_iat: Option<UnixTime>,
    /// OpenID Connect: the grant's ID token.
    pub id_token: Option<String>,
}

/// Per-call lifetime overrides in seconds (`accessTokenDuration`, `refreshTokenDuration`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Lifetimes {
    pub access: Option<u64>,
    pub refresh: Option<u64>,
}

/// The key the tokens are bound to: a verified proof's, or a thumbprint the caller verified
/// itself (delegated issuance).
#[derive(Debug, Clone, Default)]
pub(crate) struct Binding {
    pub jkt: Option<Jkt>,
    /// `iat` of the accepted proof, for the clock-drift histogram.
    pub proof_iat: Option<UnixTime>,
}

impl Binding {
    pub fn of(proof: Option<&VerifiedProof>) -> Binding {
        Binding {
            jkt: proof.map(|p| p.jkt().clone()),
            proof_iat: proof.map(VerifiedProof::iat),
        }
    }
}

/// When the tokens of one issuance expire. Every access token of a grant that has refresh
/// tokens expires at the latest with the grant (its refresh family), so revoking the grant
/// needs a record only for the grant's remaining life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    pub access_expires_at: UnixTime,
    /// The refresh token's expiry (the grant's end) when one is issued or kept.
    pub refresh_expires_at: Option<UnixTime>,
}

impl Plan {
    pub fn new(
        core: &Core,
        client: &Client,
        lifetimes: Lifetimes,
        prepared: &Prepared,
        now: UnixTime,
    ) -> Plan {
        let refresh_expires_at = match &prepared.presented {
            Presented::RefreshToken(rt) => Some(rt.record.expires_at()),
            _ if client.may_use(GrantType::RefreshToken) => Some(now.plus(lifetime(
                core,
                lifetimes.refresh,
                core.refresh_lifetime_secs,
            ))),
            _ => None,
        };
        let access = now.plus(lifetime(core, lifetimes.access, core.access_lifetime_secs));
        Plan {
            access_expires_at: refresh_expires_at.map_or(access, |end| access.min(end)),
            refresh_expires_at,
        }
    }

    /// The end of the grant: the last moment any of its tokens can be used.
    pub fn grant_end(&self) -> UnixTime {
        self.refresh_expires_at
            .map_or(self.access_expires_at, |end| {
                end.max(self.access_expires_at)
            })
    }
}

pub(crate) fn issue(
    core: &Core,
    client: &Client,
    plan: Plan,
    prepared: Prepared,
    binding: Binding,
    now: UnixTime,
) -> Result<Issued, TokenError> {
    let jkt = binding.jkt;
    let audience = if client.audience.is_empty() {
        &core.default_audience
    } else {
        &client.audience
    };
    // RFC 6749 §4.1.2: a code's token is named after the code, and so is its grant, so a
    // reused code can revoke both.
    let (jti, family) = match &prepared.presented {
        Presented::Code(code) => (
            code.record.access_token_jti(),
            Some(code.record.refresh_family()),
        ),
        Presented::RefreshToken(rt) => (random_id(), Some(rt.record.family.clone())),
        Presented::Nothing => (random_id(), plan.refresh_expires_at.map(|_| random_id())),
    };
    let minted = tokens::mint_named(
        &core.keys,
        &core.sealer,
        &core.issuer,
        AccessGrant {
            subject: &prepared.subject,
            client_id: &client.id,
            scopes: &prepared.scopes,
            audience,
            jkt: jkt.as_ref(),
            lifetime_secs: plan.access_expires_at.secs() - now.secs(),
            properties: &prepared.properties,
            extra: &prepared.extra,
            grant_id: family.as_deref(),
        },
        jti,
        now,
    )
    .map_err(|e| match e {
        MintError::TooLarge => TokenError::TooLarge,
        MintError::Key(_) => TokenError::Signing,
    })?;
    let id_token = id_token(core, client, &prepared, now)?;
    let refresh_token = match next_refresh(client, plan, &prepared, family, jkt.as_ref(), now) {
        NextRefresh::Nothing => None,
        NextRefresh::Keep(text) => Some(text),
        NextRefresh::Seal(record) => Some(
            record
                .seal(&core.sealer)
                .map_err(|e| e.too_large_or(TokenError::TooLarge, TokenError::Signing))?,
        ),
    };
    Ok(Issued {
        grant: prepared.grant,
        client_id: client.id.clone(),
        subject: prepared.subject,
        scopes: prepared.scopes,
        access_token: minted.token,
        access_expires_at: minted.expires_at,
        access_duration: minted.expires_at.secs() - now.secs(),
        refresh_token,
        refresh_expires_at: plan.refresh_expires_at,
        token_type: token_type(jkt.as_ref()),
        jkt,
        properties: prepared.properties,
        proof_iat: binding.proof_iat,
        id_token,
    })
}

/// OIDC Core §3.1.3.3, §12.2: an ID token when the grant is an OpenID Connect one (its code
/// was issued for `openid`) and the tokens being issued still have `openid`.
fn id_token(
    core: &Core,
    client: &Client,
    prepared: &Prepared,
    now: UnixTime,
) -> Result<Option<String>, TokenError> {
    let authentication = match &prepared.presented {
        Presented::Code(code) => code.record.oidc.as_ref(),
        Presented::RefreshToken(rt) => rt.record.oidc.as_deref(),
        Presented::Nothing => None,
    };
    let Some(authentication) =
        authentication.filter(|_| prepared.scopes.iter().any(|s| s == OPENID))
    else {
        return Ok(None);
    };
    let to = id_token::Audience {
        issuer: &core.issuer,
        client_id: &client.id,
        subject: &prepared.subject,
        alg: client.id_token_alg,
        lifetime_secs: core.id_token_lifetime_secs,
    };
    let token =
        id_token::mint(&core.keys, to, authentication, now).map_err(|_| TokenError::Signing)?;
    Ok(Some(token))
}

/// A per-call duration wins when set (0 means not set). The API refuses one above
/// `tokens.max_lifetime_override_secs` before any grant runs; the bound is applied here too,
/// without a cast that could wrap, so no caller of the domain can issue past it.
fn lifetime(core: &Core, requested: Option<u64>, default: i64) -> i64 {
    match requested {
        Some(secs) if secs > 0 => i64::try_from(secs)
            .unwrap_or(i64::MAX)
            .min(core.max_lifetime_override_secs),
        _ => default,
    }
}

/// What becomes of the refresh token at this issuance.
enum NextRefresh {
    /// The client may not refresh.
    Nothing,
    /// A confidential client keeps the refresh token it presented.
    Keep(String),
    Seal(RefreshRecord),
}

/// Client credentials, authorization code, delegated issuance: a new family if the client may
/// refresh (for a code, the family named after it). Refresh: a confidential client keeps its
/// token; a public client gets the next generation of the same family, expiring with the
/// original grant, bound to the key it was bound to — or, for a token not yet bound, to the key
/// of the proof that came with this refresh (RFC 9449 §5: once a public client has shown a key,
/// its refresh tokens are bound to it).
fn next_refresh(
    client: &Client,
    plan: Plan,
    prepared: &Prepared,
    family: Option<String>,
    jkt: Option<&Jkt>,
    now: UnixTime,
) -> NextRefresh {
    let (Some(expires_at), Some(family)) = (plan.refresh_expires_at, family) else {
        return NextRefresh::Nothing;
    };
    // RFC 9449 §5: bound to the key for public clients; confidential ones authenticate.
    let bound_to_proof = || jkt.filter(|_| client.is_public()).cloned();
    match &prepared.presented {
        Presented::RefreshToken(rt) if !client.is_public() => NextRefresh::Keep(rt.text.clone()),
        Presented::RefreshToken(rt) => NextRefresh::Seal(RefreshRecord {
            jti: random_id(),
            generation: rt.record.generation + 1,
            iat: now.secs(),
            jkt: rt.record.jkt.clone().or_else(bound_to_proof),
            ..rt.record.clone()
        }),
        Presented::Code(_) | Presented::Nothing => NextRefresh::Seal(RefreshRecord {
            oidc: match &prepared.presented {
                Presented::Code(code) => {
                    code.record.oidc.as_ref().map(|a| Box::new(a.for_refresh()))
                }
                _ => None,
            },
            jti: random_id(),
            family,
            generation: 0,
            client_id: client.id.clone(),
            subject: prepared.subject.clone(),
            scopes: prepared.scopes.clone(),
            iat: now.secs(),
            exp: expires_at.secs(),
            jkt: bound_to_proof(),
            properties: prepared.properties.clone(),
            extra_claims: prepared.extra.clone(),
        }),
    }
}

impl Issued {
    /// RFC 6749 §5.1 success body; non-hidden properties are added as extra members.
    pub fn response_body(&self) -> String {
        // Without visible properties the members are fixed: one pass, no map, no copies, in
        // the order `serde_json::Map` keeps them below (sorted by name).
        if self.properties.iter().all(|p| p.hidden) {
            let mut body = JsonObject::with_capacity(
                128 + self.access_token.len() + self.refresh_token.as_ref().map_or(0, String::len),
            );
            body.str("access_token", &self.access_token)
                .int("expires_in", self.access_duration)
                .opt_str("id_token", self.id_token.as_deref())
                .opt_str("refresh_token", self.refresh_token.as_deref());
            if !self.scopes.is_empty() {
                body.str("scope", &self.scopes.join(" "));
            }
            body.str("token_type", self.token_type.name());
            return body.finish();
        }
        let mut body = serde_json::Map::new();
        body.insert("access_token".into(), self.access_token.clone().into());
        body.insert("token_type".into(), self.token_type.name().into());
        body.insert("expires_in".into(), self.access_duration.into());
        if !self.scopes.is_empty() {
            body.insert("scope".into(), self.scopes.join(" ").into());
        }
        if let Some(rt) = &self.refresh_token {
            body.insert("refresh_token".into(), rt.clone().into());
        }
        if let Some(id_token) = &self.id_token {
            body.insert("id_token".into(), id_token.clone().into());
        }
        for p in self.properties.iter().filter(|p| !p.hidden) {
            body.entry(p.key.clone())
                .or_insert_with(|| p.value.clone().into());
        }
        serde_json::Value::Object(body).to_string()
    }
}

#[cfg(test)]
mod tests;
