//! The site's WordPress, reached through its REST API (`/wp-json/wp/v2/`)
//! with an application password: what a piece becomes there (`post`, pure),
//! the calls (`client`), the post each piece became (`store`) and the
//! operator's check (`check`). The outbox delivers to it
//! (`outbox::wordpress`).

pub mod check;
pub mod client;
pub mod post;
pub mod store;
