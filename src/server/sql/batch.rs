//! Batch inserts: many rows in few statements. Each column names itself, its PostgreSQL type and
//! how to read its value from a row, side by side, so no value list is kept aligned by hand.
//! SQLite gets multi-row `VALUES` chunked under the parameter limit; PostgreSQL gets one `UNNEST`
//! of column arrays.

use super::{values_placeholders, Backend, Row, Tx, Val, MAX_PARAMS};

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

    fn statements(&self, backend: Backend, rows: &[T]) -> Vec<(String, Vec<Val>)> {
        let ncols = self.cols.len();
        let cols = self.column_list();
        match backend {
            Backend::Sqlite => rows
                .chunks((MAX_PARAMS / ncols).max(1))
                .map(|chunk| {
                    let sql = format!(
                        "INSERT INTO {} ({}) VALUES {} {}",
                        self.table,
                        cols,
                        values_placeholders(chunk.len(), ncols),
                        self.suffix
                    );
                    let args = chunk.iter().flat_map(|r| self.cols.iter().map(move |c| (c.get)(r))).collect();
                    (sql, args)
                })
                .collect(),
            Backend::Postgres => {
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
                let sql =
                    format!("INSERT INTO {} ({}) SELECT * FROM UNNEST({}) {}", self.table, cols, unnest, self.suffix);
                vec![(sql, arrays)]
            }
        }
    }

    pub async fn run(&self, tx: &mut Tx, rows: &[T]) -> Result<u64, sqlx::Error> {
        let mut n = 0;
        if rows.is_empty() {
            return Ok(n);
        }
        for (sql, args) in self.statements(tx.backend(), rows) {
            n += tx.exec(&sql, args).await?;
        }
        Ok(n)
    }

    pub async fn returning<R: Row>(&self, tx: &mut Tx, rows: &[T]) -> Result<Vec<R>, sqlx::Error> {
        let mut out = Vec::new();
        if rows.is_empty() {
            return Ok(out);
        }
        for (sql, args) in self.statements(tx.backend(), rows) {
            out.extend(tx.all::<R>(&sql, args).await?);
        }
        Ok(out)
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
        let b = BatchInsert { table: "t", cols: COLS, suffix: "RETURNING id" };
        let sqlite = b.statements(Backend::Sqlite, &rows);
        assert_eq!(sqlite.len(), 1);
        assert_eq!(sqlite[0].0, "INSERT INTO t (id,name) VALUES (?,?),(?,?) RETURNING id");
        assert_eq!(sqlite[0].1, vec![Val::I64(Some(1)), Val::Text(Some("a".into())), Val::I64(Some(2)), Val::Text(None)]);
        let pg = b.statements(Backend::Postgres, &rows);
        assert_eq!(pg[0].0, "INSERT INTO t (id,name) SELECT * FROM UNNEST($1::bigint[],$2::text[]) RETURNING id");
        assert_eq!(pg[0].1, vec![Val::I64s(vec![Some(1), Some(2)]), Val::Texts(vec![Some("a".into()), None])]);
    }

    #[test]
    fn sqlite_chunks_stay_under_the_parameter_limit() {
        let rows: Vec<P> = (0..(MAX_PARAMS as i64)).map(|id| P { id, name: None }).collect();
        let b = BatchInsert { table: "t", cols: COLS, suffix: "" };
        let stmts = b.statements(Backend::Sqlite, &rows);
        assert_eq!(stmts.len(), 2);
        assert!(stmts.iter().all(|(_, a)| a.len() <= MAX_PARAMS));
        assert_eq!(stmts.iter().map(|(_, a)| a.len()).sum::<usize>(), 2 * MAX_PARAMS);
    }
}
