//! Routes of this area are registered by `routes`.

use actix_web::web;

pub fn routes(_cfg: &mut web::ServiceConfig) {}
