//! Routes: which part of wicketd answers which path. The service is a function of [`App`]:
//! tests drive [`handle`] in-process, the server feeds it real connections.

use crate::app::App;
use crate::body::{Body, FormBody};
use crate::handler;
use crate::portal::routes;
use hyper::{Request, Response, StatusCode};
use std::net::SocketAddr;
use std::sync::Arc;

/// Entry point for every request.
pub async fn handle<B: FormBody>(app: Arc<App>, peer: SocketAddr, req: Request<B>) -> Response<Body> {
    let path = req.uri().path();
    let rt = app.runtime();
    if let Some(session) = rt.cfg.session.as_ref().filter(|_| routes::is_portal_path(path)) {
        let resp = routes::serve(&app, &rt, session, peer, req).await;
        app.metrics.response("portal", resp.status().as_u16());
        return resp;
    }
    let (endpoint, resp) = match path {
        "/auth" | "/auth/nginx" | "/auth/forward" => ("auth", handler::access_check(&app, peer, &req).await),
        p if crate::envoy::serves(p) => ("auth", crate::envoy::access_check(&app, peer, &req).await),
        p if crate::authelia::serves(p) => ("auth", crate::authelia::access_check(&app, peer, &req).await),
        "/whoami" => ("whoami", handler::whoami(&app, peer, &req).await),
        "/healthz" => ("healthz", handler::healthz(&app).await),
        "/metrics" => ("metrics", handler::metrics(&app)),
        _ => ("other", handler::text(StatusCode::NOT_FOUND, "not found\n")),
    };
    app.metrics.response(endpoint, resp.status().as_u16());
    resp
}
