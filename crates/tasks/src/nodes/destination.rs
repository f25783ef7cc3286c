//! Where `influxDBOut` and `kapacitorLoopback` send points: database,
//! retention policy, an optional new measurement name and extra tags.

use super::args;
use crate::model::Point;
use crate::tick::pipeline::Property;
use crate::tick::TickError;
use std::sync::Arc;

/// The destination properties shared by the nodes that write points.
#[derive(Debug, Default)]
pub struct Destination {
    /// `.database()`.
    pub database: String,
    /// `.retentionPolicy()`.
    pub retention_policy: String,
    /// `.measurement()`: renames the points.
    pub measurement: Option<String>,
    /// `.tag(key, value)`: tags added to every point.
    pub tags: Vec<(String, String)>,
}

impl Destination {
    /// Applies `p` when it is one of the destination properties; `false`
    /// leaves it to the node.
    pub fn apply(&mut self, p: &Property) -> Result<bool, TickError> {
        let one = |name: &str| -> Result<String, TickError> {
            args::string(args::get(&p.args, 0, p.pos, name)?, name)
        };
        match p.name.as_str() {
            "database" => self.database = one("database")?,
            "retentionPolicy" => self.retention_policy = one("retentionPolicy")?,
            "measurement" => self.measurement = Some(one("measurement")?),
            "tag" => {
                args::count(&p.args, 2, p.pos, "tag")?;
                self.tags.push((
                    args::string(&p.args[0], "tag")?,
                    args::string(&p.args[1], "tag")?,
                ));
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Renames and tags `q` as the properties ask.
    pub fn retag(&self, q: &mut Point) {
        if let Some(m) = &self.measurement {
            q.name = m.as_str().into();
        }
        for (k, v) in &self.tags {
            Arc::make_mut(&mut q.tags).insert(k.clone(), v.clone());
        }
    }
}
