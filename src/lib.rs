//! scim-edge: a SCIM 2.0 service provider for employee provisioning (RFC 7643, RFC 7644),
//! running as a Cloudflare Worker on D1.
//!
//! The crate is a pure core (`scim`, `app`, `store` minus `store::d1`) that compiles and is
//! tested on the host, and a thin wasm32 edge (the `fetch` event below and `store::d1`).
#![allow(async_fn_in_trait)]

pub mod scim;
