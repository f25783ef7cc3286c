//! Authorizations (InfluxDB 2.x API tokens).
//!
//! A token is 64 random bytes in base64url (88 characters
//! with its `==` padding, like InfluxDB's). Only its SHA-256 is stored; the
//! catalog indexes authorizations by that hash, so a request's token is
//! found with one hash and one map lookup.

use std::sync::Arc;

use base64::Engine;

use crate::catalog::Catalog;
use crate::command::CatalogCommand;
use crate::error::CatalogError;
use crate::orgs::now_ns;
use crate::users::UserDef;
use crate::v2apply::V2Command;
use crate::v2types::{new_id, token_hash, AuthorizationDef, Permission};

/// A fresh random token.
pub fn new_token() -> Result<String, CatalogError> {
    let mut bytes = [0u8; 64];
    getrandom::fill(&mut bytes)
        .map_err(|e| CatalogError::Storage(format!("no randomness for a token: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE.encode(bytes))
}

impl Catalog {
    /// Creates an authorization for user `user_id` in org `org_id`; returns
    /// it with its token (the only time the token is available).
    pub fn create_authorization(
        &self,
        org_id: &str,
        user_id: &str,
        description: &str,
        active: bool,
        permissions: Vec<Permission>,
    ) -> Result<(Arc<AuthorizationDef>, String), CatalogError> {
        let token = new_token()?;
        let now = now_ns();
        let auth = AuthorizationDef {
            id: new_id()?,
            token_hash: token_hash(&token),
            org_id: org_id.to_string(),
            user_id: user_id.to_string(),
            description: description.to_string(),
            active,
            permissions,
            created_at: now,
            updated_at: now,
        };
        let id = auth.id.clone();
        self.execute(&CatalogCommand::V2(Box::new(
            V2Command::CreateAuthorization { auth },
        )))?;
        let auth = self
            .snapshot()
            .v2
            .authorizations
            .get(&id)
            .cloned()
            .ok_or_else(|| CatalogError::NotFound("authorization not found".into()))?;
        Ok((auth, token))
    }

    /// Changes an authorization's status and/or description.
    pub fn update_authorization(
        &self,
        id: &str,
        active: Option<bool>,
        description: Option<String>,
    ) -> Result<Arc<AuthorizationDef>, CatalogError> {
        self.execute(&CatalogCommand::V2(Box::new(
            V2Command::UpdateAuthorization {
                id: id.to_string(),
                active,
                description,
                now: now_ns(),
            },
        )))?;
        self.snapshot()
            .v2
            .authorizations
            .get(id)
            .cloned()
            .ok_or_else(|| CatalogError::NotFound("authorization not found".into()))
    }

    /// Deletes an authorization.
    pub fn delete_authorization(&self, id: &str) -> Result<(), CatalogError> {
        self.execute(&CatalogCommand::V2(Box::new(
            V2Command::DeleteAuthorization { id: id.to_string() },
        )))
        .map(|_| ())
    }

    /// The active authorization of `token` and its (active) user; `None`
    /// for an unknown or inactive token or user.
    pub fn authenticate_token(&self, token: &str) -> Option<(Arc<AuthorizationDef>, Arc<UserDef>)> {
        let snap = self.snapshot();
        let auth = snap.v2.authorization_by_token(token)?.clone();
        if !auth.active || snap.v2.inactive_users.contains(&auth.user_id) {
            return None;
        }
        let user = snap.user_by_id(&auth.user_id)?.clone();
        Some((auth, user))
    }
}
