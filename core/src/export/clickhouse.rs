//! ClickHouse through its HTTP interface, for the `clickhouse` exporter of either signal: the
//! schema of the OpenTelemetry Collector's `clickhouse` exporter created before the first
//! insert (its DDL, transcribed in `clickhouse/*.sql`), and inserts of JSONEachRow rows,
//! with the retries every HTTP exporter has. Times are sent in RFC 3339 with nanoseconds and
//! read by ClickHouse's best-effort parser, so that tables whose time columns are `DateTime`
//! or `DateTime64(9)` (the Collector's schema has had both) take them.

use crate::base::error::{Error, Result};
use crate::config::ClickhouseSettings;
use crate::export::connection;
use crate::export::delivery::export_error;
use crate::export::http::{self as http_post, with_retries, Post};
use bytes::Bytes;
use std::time::Duration;

/// A table of the Collector's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    Logs,
    Sum,
    Gauge,
    Histogram,
    ExponentialHistogram,
    Summary,
}

impl Table {
    /// The metric tables, all created when one is.
    pub(crate) const METRICS: [Table; 5] = [
        Table::Sum,
        Table::Gauge,
        Table::Histogram,
        Table::ExponentialHistogram,
        Table::Summary,
    ];

    fn ddl(self) -> &'static str {
        match self {
            Table::Logs => include_str!("clickhouse/logs.sql"),
            Table::Sum => include_str!("clickhouse/metrics_sum.sql"),
            Table::Gauge => include_str!("clickhouse/metrics_gauge.sql"),
            Table::Histogram => include_str!("clickhouse/metrics_histogram.sql"),
            Table::ExponentialHistogram => {
                include_str!("clickhouse/metrics_exponential_histogram.sql")
            }
            Table::Summary => include_str!("clickhouse/metrics_summary.sql"),
        }
    }

    /// Its name in `s`'s database.
    pub(crate) fn name(self, s: &ClickhouseSettings) -> String {
        let suffix = match self {
            Table::Logs => return s.logs_table.clone(),
            Table::Sum => "sum",
            Table::Gauge => "gauge",
            Table::Histogram => "histogram",
            Table::ExponentialHistogram => "exponential_histogram",
            Table::Summary => "summary",
        };
        format!("{}_{suffix}", s.metrics_table)
    }

    /// Its CREATE TABLE statement for `s`.
    fn create(self, s: &ClickhouseSettings) -> String {
        let ttl = match s.ttl {
            None => String::new(),
            Some((n, unit)) => {
                let column = match self {
                    Table::Logs => "TimestampTime",
                    _ => "toDateTime(TimeUnix)",
                };
                let unit = unit[..1].to_owned() + &unit[1..].to_ascii_lowercase();
                format!("TTL {column} + toInterval{unit}({n})")
            }
        };
        self.ddl()
            .lines()
            .filter(|l| !l.starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace("{database}", &s.database)
            .replace("{table}", &self.name(s))
            .replace("{ttl}", &ttl)
    }
}

/// A connection to ClickHouse for the tables of one signal.
pub(crate) struct Clickhouse {
    settings: ClickhouseSettings,
    tables: &'static [Table],
    client: reqwest::blocking::Client,
    headers: http::HeaderMap,
    export_timeout: Duration,
    retries: u64,
    /// Whether the database and tables exist (or need not be created).
    schema_ready: bool,
}

impl Clickhouse {
    /// A connection for `tables`, whose inserts (with their retries) may take
    /// `export_timeout` each.
    pub(crate) fn new(
        s: &ClickhouseSettings,
        tables: &'static [Table],
        export_timeout: Duration,
    ) -> Result<Self> {
        Ok(Clickhouse {
            settings: s.clone(),
            tables,
            client: connection::http_client(&s.conn)?,
            headers: connection::header_map(&s.conn)?,
            export_timeout,
            retries: 0,
            schema_ready: !s.create_schema,
        })
    }

    /// Runs `sql`, with `body` as its data (the rows of an INSERT).
    fn run(&mut self, sql: &str, body: Vec<u8>) -> Result<()> {
        let url = reqwest::Url::parse_with_params(
            &self.settings.conn.endpoint,
            &[("query", sql), ("date_time_input_format", "best_effort")],
        )
        .map_err(|e| Error::config(format!("the ClickHouse endpoint: {e}")))?;
        let url = url.as_str();
        let (client, headers, gzip) = (&self.client, &self.headers, self.settings.gzip);
        let body = Bytes::from(body);
        with_retries(
            self.export_timeout,
            self.settings.conn.timeout,
            &mut self.retries,
            |left| {
                let post = Post {
                    url,
                    headers,
                    content_type: "text/plain; charset=utf-8",
                    content_encoding: gzip.then_some("gzip"),
                    body: body.clone(),
                };
                http_post::post(client, post, left).map(drop)
            },
        )
    }

    /// Creates the database and the tables if they are missing, once.
    fn ensure_schema(&mut self) -> Result<()> {
        if self.schema_ready {
            return Ok(());
        }
        let database = format!("CREATE DATABASE IF NOT EXISTS `{}`", self.settings.database);
        self.run(&database, Vec::new())?;
        for table in self.tables {
            let ddl = table.create(&self.settings);
            self.run(&ddl, Vec::new())?;
        }
        self.schema_ready = true;
        Ok(())
    }

    /// Inserts `rows` (JSONEachRow) into `table`, creating the schema first when it should.
    pub(crate) fn insert(&mut self, table: Table, rows: Vec<u8>) -> Result<()> {
        self.ensure_schema()
            .map_err(|e| export_error("clickhouse", format!("creating the schema: {e}")))?;
        let sql = format!(
            "INSERT INTO `{}`.`{}` FORMAT JSONEachRow",
            self.settings.database,
            table.name(&self.settings)
        );
        self.run(&sql, rows)
            .map_err(|e| export_error("clickhouse", e))
    }

    /// Attempts repeated after a retryable failure so far.
    pub(crate) fn retries(&self) -> u64 {
        self.retries
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Settings};

    fn settings(pairs: &[(&str, &str)]) -> ClickhouseSettings {
        let mut c = Config::new();
        for (k, v) in pairs {
            c.set(k, v).unwrap();
        }
        Settings::resolve(&c).unwrap().logs.clickhouse
    }

    #[test]
    fn the_ddl_names_the_database_table_and_ttl() {
        let s = settings(&[
            ("OTELRS_EXPORTER_CLICKHOUSE_DATABASE", "obs"),
            ("OTELRS_EXPORTER_CLICKHOUSE_METRICS_TABLE", "m"),
            ("OTELRS_EXPORTER_CLICKHOUSE_TTL", "72h"),
        ]);
        let logs = Table::Logs.create(&s);
        assert!(
            logs.starts_with("CREATE TABLE IF NOT EXISTS `obs`.`otel_logs` ("),
            "{logs}"
        );
        assert!(
            logs.contains("TTL TimestampTime + toIntervalHour(72)"),
            "{logs}"
        );
        assert!(!logs.contains("--") && !logs.contains('{'), "{logs}");
        let sum = Table::Sum.create(&s);
        assert!(
            sum.contains("`obs`.`m_sum`")
                && sum.contains("TTL toDateTime(TimeUnix) + toIntervalHour(72)")
        );
        let forever = Table::ExponentialHistogram.create(&settings(&[]));
        assert!(
            forever.contains("`otel`.`otel_metrics_exponential_histogram`")
                && !forever.contains("TTL")
        );
    }
}
