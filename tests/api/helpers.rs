//! `TestApp`: a fresh in-memory database per test, a clock that moves 1 ms per request (or as a
//! test says), and seeded randomness, so that ids and times are exact.

use crate::common::{scanner, Client, Reply};
use scim_edge::app::plumbing::ids::SeededRandom;
use scim_edge::app::recent::RecentCache;
use scim_edge::app::{self, Body, Config, Ctx, HealthCache};
use scim_edge::model::TenantId;
use scim_edge::scim::datetime::Timestamp;
use scim_edge::store::shards::Shards;
use scim_edge::store::{sqlite::SqliteStore, Consistency, Row, Stmt, Store, StoreError};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::task::{Context, Poll, Waker};

/// At least 32 characters: a shorter operator secret closes the admin API.
pub const ADMIN_TOKEN: &str = "adm_host_tests_0123456789abcdefghijklmnop";
/// The credential secret of the host tests' deployment (check values of issued tokens).
pub const CREDENTIAL_SECRET: &str = "host-tests-credential-secret-0123456789abcdef";
/// 2026-01-02T03:04:05.000Z
pub const START: i64 = 1_767_323_045_000;

pub struct TestApp {
    /// Shard 0's database (the only one, unless the test asked for more).
    pub store: SqliteStore,
    /// Shards 1 and up (`TestApp::with_shards`).
    pub more_shards: Vec<SqliteStore>,
    pub config: Config,
    pub now: Cell<i64>,
    random: RefCell<SeededRandom>,
    /// Batches the application sent to the store (deferred statements not included).
    pub batches: Cell<usize>,
    /// The lines the application left for the worker's log.
    pub log: RefCell<Vec<String>>,
    /// The tenant the last request turned out to serve (its log line's `tenant_id`).
    pub last_tenant: RefCell<Option<TenantId>>,
    /// The health check's cache, as an isolate keeps it.
    pub health: HealthCache,
    /// The recent users and definitions, as an isolate keeps them (`app::recent`).
    pub recent: RecentCache,
}

/// The store, counting the batches sent to it.
struct Counting<'a, S> {
    store: &'a S,
    batches: &'a Cell<usize>,
}

impl<S: Store> Store for Counting<'_, S> {
    async fn batch(
        &self,
        consistency: Consistency,
        stmts: Vec<Stmt>,
    ) -> Result<Vec<Vec<Row>>, StoreError> {
        self.batches.set(self.batches.get() + 1);
        self.store.batch(consistency, stmts).await
    }

    fn resume(&self, bookmark: &str) {
        self.store.resume(bookmark)
    }

    fn bookmark(&self) -> Option<String> {
        self.store.bookmark()
    }
}

/// Runs a future that never waits (the rusqlite store answers at once).
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("the future kept pending; the host store never waits");
}

impl TestApp {
    pub fn new() -> TestApp {
        TestApp::with_config(Config::new(
            Some(ADMIN_TOKEN.to_string()),
            Some(CREDENTIAL_SECRET),
        ))
    }

    /// A deployment configured otherwise (e.g. without a usable secret).
    pub fn with_config(config: Config) -> TestApp {
        let store = SqliteStore::open_in_memory(&SqliteStore::crate_migrations())
            .expect("migrations apply");
        TestApp {
            store,
            more_shards: Vec::new(),
            config,
            now: Cell::new(START),
            random: RefCell::new(SeededRandom(1)),
            batches: Cell::new(0),
            log: RefCell::new(Vec::new()),
            last_tenant: RefCell::new(None),
            health: HealthCache::new(None),
            recent: RecentCache::default(),
        }
    }

    /// A deployment of `n` shards, each a database of its own.
    pub fn with_shards(n: u16) -> TestApp {
        let mut app = TestApp::with_config(
            Config::new(Some(ADMIN_TOKEN.to_string()), Some(CREDENTIAL_SECRET)).with_shards(n),
        );
        app.more_shards = (1..n)
            .map(|_| {
                SqliteStore::open_in_memory(&SqliteStore::crate_migrations())
                    .expect("migrations apply")
            })
            .collect();
        app
    }

    /// The same deployment, each database with a read replica that lags until a bookmark (or
    /// `SqliteStore::replicate`) brings it up.
    pub fn with_replicas(mut self) -> TestApp {
        self.store = self.store.with_replica().expect("a replica");
        self.more_shards = std::mem::take(&mut self.more_shards)
            .into_iter()
            .map(|s| s.with_replica().expect("a replica"))
            .collect();
        self
    }

    /// Shard `n`'s database.
    pub fn shard(&self, n: u16) -> &SqliteStore {
        match n {
            0 => &self.store,
            n => &self.more_shards[usize::from(n) - 1],
        }
    }

    /// The same deployment (database, clock, randomness) with another configuration, as after
    /// the operator changed its secrets.
    pub fn reconfigured(self, config: Config) -> TestApp {
        TestApp { config, ..self }
    }

    /// Moves the clock.
    pub fn advance(&self, ms: i64) {
        self.now.set(self.now.get() + ms);
    }

    pub fn now(&self) -> Timestamp {
        Timestamp(self.now.get())
    }

    /// SQLite's query plan of `stmt` on this database (`EXPLAIN QUERY PLAN`), one step a line.
    pub fn plan(&self, stmt: &Stmt) -> Vec<String> {
        use scim_edge::store::Value as StoreValue;
        self.store.with_conn(|c| {
            let mut st = c
                .prepare(&format!("EXPLAIN QUERY PLAN {}", stmt.sql))
                .unwrap();
            let params = stmt.params.iter().map(|v| match v {
                StoreValue::Null => rusqlite::types::Value::Null,
                StoreValue::Int(i) => rusqlite::types::Value::Integer(*i),
                StoreValue::Real(f) => rusqlite::types::Value::Real(*f),
                StoreValue::Text(s) => rusqlite::types::Value::Text(s.clone()),
            });
            st.query_map(rusqlite::params_from_iter(params), |r| {
                r.get::<_, String>(3)
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
        })
    }
}

impl TestApp {
    /// Sends a request to the app running on `store` (this app's database, or a wrapper around
    /// it that fails as a test says), with this app's clock and randomness. Statements the app
    /// defers until after its answer run at once, on `store`.
    pub fn send_via<S: Store>(
        &self,
        store: &S,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        self.send_on(Shards::all(vec![store]), method, path, headers, body)
    }

    /// Sends a request to the app running on `shards` (each request its own session of each
    /// database, as the edge's stores are).
    pub fn send_on<S: Store>(
        &self,
        shards: Shards<S>,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("http://scim.test{path}"));
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let req = builder
            .body(Body::from(body.map(<[u8]>::to_vec).unwrap_or_default()))
            .expect("valid request");
        self.advance(1);
        let mut random = self.random.borrow_mut();
        // The server's own id, whatever the client sent (DESIGN §3).
        let request_id = app::request_id(&mut *random);
        let now = self.now();
        let clock = move || now;
        let mut ctx = Ctx::new(now, &clock, request_id, &mut *random, &self.config);
        ctx.health_cache = Some(&self.health);
        ctx.recent = Some(&self.recent);
        let counting: Vec<Option<Counting<'_, S>>> = (0..shards.count())
            .map(|n| {
                shards.get(n).map(|store| Counting {
                    store,
                    batches: &self.batches,
                })
            })
            .collect();
        let counting = Shards::all(counting.into_iter().flatten().collect());
        let shard = match app::reach(&req, &self.config) {
            app::Reach::Shard(n) => n,
            app::Reach::Every => 0,
        };
        let response = block_on(app::handle(req, &counting, &mut ctx));
        // What the worker streams (the CSV export's later pages), concatenated.
        let response = block_on(app::admin_api::export::collect(
            response,
            counting.get(shard).expect("the request's shard"),
        ))
        .expect("every page of an export is read");
        // What the worker would log (a failing test shows it; a passing one hides it).
        for line in &ctx.log {
            eprintln!("worker log: {line}");
        }
        self.log.borrow_mut().append(&mut ctx.log);
        *self.last_tenant.borrow_mut() = ctx.tenant.take();
        let deferred = std::mem::take(&mut ctx.deferred);
        if !deferred.is_empty() {
            let store = shards.get(shard).expect("the request's shard");
            block_on(store.batch(Consistency::Primary, deferred)).expect("deferred statements run");
        }
        let reply = Reply {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        v.to_str().unwrap_or_default().to_string(),
                    )
                })
                .collect(),
            body: response.into_body(),
        };
        // The response scanner of the end-to-end suite, on the host's answers too.
        scanner::remember_sent(path, body);
        scanner::check(
            &scanner::Request {
                method,
                path,
                admin_token: ADMIN_TOKEN,
                credential_secret: Some(CREDENTIAL_SECRET),
            },
            &reply,
        );
        reply
    }
}

impl Client for TestApp {
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let sessions: Vec<_> = (0..self.config.shards)
            .map(|n| self.shard(n).session())
            .collect();
        self.send_on(Shards::all(sessions), method, path, headers, body)
    }

    fn admin_token(&self) -> &str {
        ADMIN_TOKEN
    }

    fn origin(&self) -> String {
        "http://scim.test".to_string()
    }

    fn is_e2e(&self) -> bool {
        false
    }

    /// Steps the fixed clock (which also moves 1 ms with every request).
    fn tick(&self, ms: u64) {
        self.advance(i64::try_from(ms).expect("a tick of less than 292 million years"));
    }
}
