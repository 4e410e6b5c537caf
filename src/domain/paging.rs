//! Numbered pages of a list whose length is known (the compare tables, a trace): which rows a
//! page holds and which pages neighbour it. A page past the end is the last one, page 0 the
//! first, so an old link never shows an empty table.

/// Page `page` of `total` rows, `per_page` rows a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// The page shown, from 1, within `1..=pages`.
    pub page: usize,
    /// At least 1, even for no rows.
    pub pages: usize,
    pub per_page: usize,
    pub total: usize,
}

impl Paging {
    pub fn new(asked: usize, total: usize, per_page: usize) -> Paging {
        let per_page = per_page.max(1);
        let pages = total.div_ceil(per_page).max(1);
        Paging {
            page: asked.clamp(1, pages),
            pages,
            per_page,
            total,
        }
    }

    /// Index of the page's first row.
    pub fn start(&self) -> usize {
        (self.page - 1) * self.per_page
    }

    /// The rows of the page, from all the rows.
    pub fn take<T>(&self, rows: impl IntoIterator<Item = T>) -> Vec<T> {
        rows.into_iter()
            .skip(self.start())
            .take(self.per_page)
            .collect()
    }

    pub fn prev(&self) -> Option<usize> {
        (self.page > 1).then(|| self.page - 1)
    }

    pub fn next(&self) -> Option<usize> {
        (self.page < self.pages).then(|| self.page + 1)
    }

    /// First and last row of the page, from 1 (None without rows).
    pub fn rows(&self) -> Option<(usize, usize)> {
        (self.total > 0).then(|| {
            (
                self.start() + 1,
                (self.start() + self.per_page).min(self.total),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_past_the_end_show_the_last_one() {
        let start = |page, rows| Paging::new(page, rows, 100).start();
        assert_eq!(start(1, 250), 0);
        assert_eq!(start(3, 250), 200);
        assert_eq!(start(9, 250), 200);
        assert_eq!(start(0, 250), 0);
        assert_eq!(start(4, 0), 0);
    }

    #[test]
    fn a_page_knows_its_rows_and_neighbours() {
        let p = Paging::new(2, 250, 100);
        assert_eq!(
            (p.page, p.pages, p.prev(), p.next(), p.rows()),
            (2, 3, Some(1), Some(3), Some((101, 200)))
        );
        let last = Paging::new(7, 250, 100);
        assert_eq!(
            (last.page, last.next(), last.rows()),
            (3, None, Some((201, 250)))
        );
        assert_eq!(last.take(0..250), (200..250).collect::<Vec<_>>());
        let empty = Paging::new(1, 0, 100);
        assert_eq!(
            (empty.pages, empty.prev(), empty.next(), empty.rows()),
            (1, None, None, None)
        );
        assert!(empty.take(Vec::<u8>::new()).is_empty());
        assert_eq!(
            Paging::new(1, 100, 100).next(),
            None,
            "exactly one full page"
        );
    }
}
