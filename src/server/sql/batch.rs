//! Batch inserts: many rows at once. Each column names itself, its PostgreSQL type and how to
//! read its value from a row, side by side, so no value list is kept aligned by hand. SQLite
//! steps one prepared single-row statement per row straight on the connection (`sqlite_raw`);
//! PostgreSQL gets one `UNNEST` of column arrays.

use super::{sqlite_raw, values_placeholders, Tx, Val};

/// PostgreSQL element type of a column, for `UNNEST` casts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    I64,
    F64,
    Text,
    Bool,
}

impl Ty {
    fn pg_array(self) -> &'static str {
        match self {
            Ty::I64 => "bigint[]",
            Ty::F64 => "double precision[]",
            Ty::Text => "text[]",
            Ty::Bool => "boolean[]",
        }
    }

    fn empty_array(self, capacity: usize) -> Val {
        match self {
            Ty::I64 => Val::I64s(Vec::with_capacity(capacity)),
            Ty::F64 => Val::F64s(Vec::with_capacity(capacity)),
            Ty::Text => Val::Texts(Vec::with_capacity(capacity)),
            Ty::Bool => Val::Bools(Vec::with_capacity(capacity)),
        }
    }
}

/// One column of a batch insert over rows of type `T`.
pub struct Col<T> {
    pub name: &'static str,
    pub ty: Ty,
    pub get: fn(&T) -> Val,
}

impl<T> Col<T> {
    pub const fn new(name: &'static str, ty: Ty, get: fn(&T) -> Val) -> Self {
        Col { name, ty, get }
    }
}

/// `INSERT INTO table (cols) … suffix` for rows of type `T`.
pub struct BatchInsert<'a, T> {
    pub table: &'a str,
    pub cols: &'a [Col<T>],
    /// Appended after the rows: `ON CONFLICT …`, `RETURNING …`.
    pub suffix: &'a str,
}

impl<T> BatchInsert<'_, T> {
    fn column_list(&self) -> String {
        self.cols.iter().map(|c| c.name).collect::<Vec<_>>().join(",")
    }

    /// PostgreSQL: one `INSERT … SELECT * FROM UNNEST(column arrays)`.
    fn pg_statement(&self, rows: &[T]) -> (String, Vec<Val>) {
        let arrays = self
            .cols
            .iter()
            .map(|c| {
                let mut a = c.ty.empty_array(rows.len());
                for r in rows {
                    push(&mut a, (c.get)(r), self.table, c.name);
                }
                a
            })
            .collect();
        let unnest = self
            .cols
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}", i + 1, c.ty.pg_array()))
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "INSERT INTO {} ({}) SELECT * FROM UNNEST({}) {}",
            self.table,
            self.column_list(),
            unnest,
            self.suffix
        );
        (sql, arrays)
    }

    /// The single-row statement SQLite steps once per row.
    fn single_row(&self) -> String {
        format!("INSERT INTO {} ({}) VALUES {} {}", self.table, self.column_list(), values_placeholders(1, self.cols.len()), self.suffix)
    }

    pub async fn run(&self, tx: &mut Tx, rows: &[T]) -> Result<u64, sqlx::Error> {
        if rows.is_empty() {
            return Ok(0);
        }
        match tx {
            Tx::Sqlite(t) => sqlite_raw::insert_rows(t, &self.single_row(), self.cols, rows).await,
            Tx::Postgres(_) => {
                let (sql, args) = self.pg_statement(rows);
                tx.exec(&sql, args).await
            }
        }
    }
}

/// Append one value to its column array. A value of another type than the column's is a bug in
/// the column list, caught by the first test that inserts through it.
fn push(array: &mut Val, v: Val, table: &str, column: &str) {
    match (array, v) {
        (Val::I64s(a), Val::I64(x)) => a.push(x),
        (Val::F64s(a), Val::F64(x)) => a.push(x),
        (Val::Texts(a), Val::Text(x)) => a.push(x),
        (Val::Bools(a), Val::Bool(x)) => a.push(x),
        (_, v) => panic!("{table}.{column}: value {v:?} does not fit the column's type"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct P {
        id: i64,
        name: Option<String>,
    }

    const COLS: &[Col<P>] = &[Col::new("id", Ty::I64, |p| p.id.into()), Col::new("name", Ty::Text, |p| p.name.clone().into())];

    #[test]
    fn both_dialects_take_the_columns_in_order() {
        let rows = [P { id: 1, name: Some("a".into()) }, P { id: 2, name: None }];
        let b = BatchInsert { table: "t", cols: COLS, suffix: "ON CONFLICT DO NOTHING" };
        assert_eq!(b.single_row(), "INSERT INTO t (id,name) VALUES (?,?) ON CONFLICT DO NOTHING");
        let (sql, args) = b.pg_statement(&rows);
        assert_eq!(sql, "INSERT INTO t (id,name) SELECT * FROM UNNEST($1::bigint[],$2::text[]) ON CONFLICT DO NOTHING");
        assert_eq!(args, vec![Val::I64s(vec![Some(1), Some(2)]), Val::Texts(vec![Some("a".into()), None])]);
    }
}
