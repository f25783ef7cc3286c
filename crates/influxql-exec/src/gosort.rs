//! Go's `sort.Sort` (pattern-defeating quicksort, as in the Go 1.19 that
//! built Debian's influxd 1.6.7), step for step.
//!
//! The sort is not stable: equal elements end up in an order that depends on
//! the input order and the algorithm's exact moves. InfluxDB's `percentile()`
//! and `mode()` sort points by value and then pick one, so which of several
//! equal values (and so which time) they report is decided here; the same
//! moves give the same answers.

/// Sorts `data` with `less` exactly as Go's `sort.Sort` would.
pub fn go_sort<T>(data: &mut [T], less: impl Fn(&T, &T) -> bool) {
    let n = data.len();
    if n <= 1 {
        return;
    }
    let limit = usize::BITS - n.leading_zeros();
    let mut s = Sorter { data, less };
    s.pdqsort(0, n, limit as usize);
}

#[derive(PartialEq, Clone, Copy)]
enum Hint {
    Unknown,
    Increasing,
    Decreasing,
}

struct Sorter<'a, T, F> {
    data: &'a mut [T],
    less: F,
}

impl<T, F: Fn(&T, &T) -> bool> Sorter<'_, T, F> {
    fn less(&self, i: usize, j: usize) -> bool {
        (self.less)(&self.data[i], &self.data[j])
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.data.swap(i, j);
    }

    fn insertion_sort(&mut self, a: usize, b: usize) {
        for i in a + 1..b {
            let mut j = i;
            while j > a && self.less(j, j - 1) {
                self.swap(j, j - 1);
                j -= 1;
            }
        }
    }

    fn sift_down(&mut self, lo: usize, hi: usize, first: usize) {
        let mut root = lo;
        loop {
            let mut child = 2 * root + 1;
            if child >= hi {
                return;
            }
            if child + 1 < hi && self.less(first + child, first + child + 1) {
                child += 1;
            }
            if !self.less(first + root, first + child) {
                return;
            }
            self.swap(first + root, first + child);
            root = child;
        }
    }

    fn heap_sort(&mut self, a: usize, b: usize) {
        let first = a;
        let hi = b - a;
        for i in (0..=(hi - 1) / 2).rev() {
            self.sift_down(i, hi, first);
        }
        for i in (0..hi).rev() {
            self.swap(first, first + i);
            self.sift_down(0, i, first);
        }
    }

    fn pdqsort(&mut self, mut a: usize, mut b: usize, mut limit: usize) {
        const MAX_INSERTION: usize = 12;
        let mut was_balanced = true;
        let mut was_partitioned = true;
        loop {
            let length = b - a;
            if length <= MAX_INSERTION {
                self.insertion_sort(a, b);
                return;
            }
            if limit == 0 {
                self.heap_sort(a, b);
                return;
            }
            if !was_balanced {
                self.break_patterns(a, b);
                limit -= 1;
            }
            let (mut pivot, mut hint) = self.choose_pivot(a, b);
            if hint == Hint::Decreasing {
                self.reverse_range(a, b);
                pivot = (b - 1) - (pivot - a);
                hint = Hint::Increasing;
            }
            if was_balanced
                && was_partitioned
                && hint == Hint::Increasing
                && self.partial_insertion_sort(a, b)
            {
                return;
            }
            if a > 0 && !self.less(a - 1, pivot) {
                a = self.partition_equal(a, b, pivot);
                continue;
            }
            let (mid, already) = self.partition(a, b, pivot);
            was_partitioned = already;
            let (left, right) = (mid - a, b - mid);
            let balance_threshold = length / 8;
            if left < right {
                was_balanced = left >= balance_threshold;
                self.pdqsort(a, mid, limit);
                a = mid + 1;
            } else {
                was_balanced = right >= balance_threshold;
                self.pdqsort(mid + 1, b, limit);
                b = mid;
            }
        }
    }

    /// Indices are `isize` where Go's can step below `a`.
    fn partition(&mut self, a: usize, b: usize, pivot: usize) -> (usize, bool) {
        self.swap(a, pivot);
        let (mut i, mut j) = (a as isize + 1, b as isize - 1);
        while i <= j && self.less(i as usize, a) {
            i += 1;
        }
        while i <= j && !self.less(j as usize, a) {
            j -= 1;
        }
        if i > j {
            self.swap(j as usize, a);
            return (j as usize, true);
        }
        self.swap(i as usize, j as usize);
        i += 1;
        j -= 1;
        loop {
            while i <= j && self.less(i as usize, a) {
                i += 1;
            }
            while i <= j && !self.less(j as usize, a) {
                j -= 1;
            }
            if i > j {
                break;
            }
            self.swap(i as usize, j as usize);
            i += 1;
            j -= 1;
        }
        self.swap(j as usize, a);
        (j as usize, false)
    }

    fn partition_equal(&mut self, a: usize, b: usize, pivot: usize) -> usize {
        self.swap(a, pivot);
        let (mut i, mut j) = (a as isize + 1, b as isize - 1);
        loop {
            while i <= j && !self.less(a, i as usize) {
                i += 1;
            }
            while i <= j && self.less(a, j as usize) {
                j -= 1;
            }
            if i > j {
                break;
            }
            self.swap(i as usize, j as usize);
            i += 1;
            j -= 1;
        }
        i as usize
    }

    fn partial_insertion_sort(&mut self, a: usize, b: usize) -> bool {
        const MAX_STEPS: usize = 5;
        const SHORTEST_SHIFTING: usize = 50;
        let mut i = a + 1;
        for _ in 0..MAX_STEPS {
            while i < b && !self.less(i, i - 1) {
                i += 1;
            }
            if i == b {
                return true;
            }
            if b - a < SHORTEST_SHIFTING {
                return false;
            }
            self.swap(i, i - 1);
            // Shift the smaller one to the left (Go's loop runs down to 1, not a).
            if i - a >= 2 {
                let mut j = i - 1;
                while j >= 1 {
                    if !self.less(j, j - 1) {
                        break;
                    }
                    self.swap(j, j - 1);
                    j -= 1;
                }
            }
            // Shift the greater one to the right.
            if b - i >= 2 {
                let mut j = i + 1;
                while j < b {
                    if !self.less(j, j - 1) {
                        break;
                    }
                    self.swap(j, j - 1);
                    j += 1;
                }
            }
        }
        false
    }

    fn break_patterns(&mut self, a: usize, b: usize) {
        let length = b - a;
        if length >= 8 {
            let mut random = length as u64;
            let modulus = 1usize << (usize::BITS - length.leading_zeros());
            let start = a + (length / 4) * 2 - 1;
            for idx in start..=start + 2 {
                random ^= random << 13;
                random ^= random >> 17;
                random ^= random << 5;
                let mut other = (random as usize) & (modulus - 1);
                if other >= length {
                    other -= length;
                }
                self.swap(idx, a + other);
            }
        }
    }

    fn choose_pivot(&mut self, a: usize, b: usize) -> (usize, Hint) {
        const SHORTEST_NINTHER: usize = 50;
        const MAX_SWAPS: usize = 4 * 3;
        let l = b - a;
        let mut swaps = 0;
        let mut i = a + l / 4;
        let mut j = a + l / 4 * 2;
        let mut k = a + l / 4 * 3;
        if l >= 8 {
            if l >= SHORTEST_NINTHER {
                i = self.median(i - 1, i, i + 1, &mut swaps);
                j = self.median(j - 1, j, j + 1, &mut swaps);
                k = self.median(k - 1, k, k + 1, &mut swaps);
            }
            j = self.median(i, j, k, &mut swaps);
        }
        match swaps {
            0 => (j, Hint::Increasing),
            MAX_SWAPS => (j, Hint::Decreasing),
            _ => (j, Hint::Unknown),
        }
    }

    fn order2(&self, a: usize, b: usize, swaps: &mut usize) -> (usize, usize) {
        if self.less(b, a) {
            *swaps += 1;
            return (b, a);
        }
        (a, b)
    }

    fn median(&self, a: usize, b: usize, c: usize, swaps: &mut usize) -> usize {
        let (a, b) = self.order2(a, b, swaps);
        let (b, c) = self.order2(b, c, swaps);
        let (_a, b) = self.order2(a, b, swaps);
        let _ = c;
        b
    }

    fn reverse_range(&mut self, a: usize, b: usize) {
        let (mut i, mut j) = (a, b - 1);
        while i < j {
            self.swap(i, j);
            i += 1;
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random sequence with many repeated keys.
    fn input(n: usize, keys: u64) -> Vec<(u64, usize)> {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        (0..n)
            .map(|i| {
                x ^= x << 7;
                x ^= x >> 9;
                (x % keys, i)
            })
            .collect()
    }

    #[test]
    fn sorts_by_key() {
        for n in [0, 1, 2, 11, 12, 13, 49, 50, 51, 200, 1000, 5000] {
            for keys in [1, 3, 50, 1 << 40] {
                let mut v = input(n, keys);
                go_sort(&mut v, |a, b| a.0 < b.0);
                assert!(v.windows(2).all(|w| w[0].0 <= w[1].0), "n={n} keys={keys}");
                let mut idx: Vec<usize> = v.iter().map(|p| p.1).collect();
                idx.sort_unstable();
                assert_eq!(idx, (0..n).collect::<Vec<_>>());
            }
        }
        let mut desc: Vec<(u64, usize)> = (0..300).rev().map(|i| (i as u64 / 3, i)).collect();
        go_sort(&mut desc, |a, b| a.0 < b.0);
        assert!(desc.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    #[test]
    fn equal_keys_land_where_go_puts_them() {
        // influxd 1.6.7's percentile(load, 95) over 35 points of one series
        // (data set of tests/e2e, server03, first 20 minutes) reported the
        // second of the three 36s: Go's sort leaves them as 3rd, 2nd, 1st.
        let values = [
            -3, 9, 22, 11, 27, 7, 23, 14, 12, 18, 1, 22, 40, 13, 36, 28, 8, 13, 12, 33, 14, 23, 36,
            12, 13, 0, 30, 16, 35, 36, 2, 10, 25, 7, 16,
        ];
        let mut pts: Vec<(i32, usize)> = values.iter().copied().zip(0..).collect();
        go_sort(&mut pts, |a, b| a.0 < b.0);
        let i = ((pts.len() as f64) * 95.0 / 100.0 + 0.5).floor() as usize - 1;
        assert_eq!(pts[i], (36, 22));
        let order: Vec<usize> = pts.iter().filter(|p| p.0 == 36).map(|p| p.1).collect();
        assert_eq!(order, [29, 22, 14]);
    }

    #[test]
    fn permutations_match_go() {
        // Checksums of the permutations Go 1.19's sort.Sort makes of the
        // `input` sequences (sum of (rank + 1) * original index), covering
        // insertion sort, ninther pivots, partial insertion sort, equal
        // partitions and pattern breaking.
        let cases: [(usize, u64, u64, [usize; 8]); 5] = [
            (35, 10, 11068, [0, 27, 14, 30, 11, 10, 4, 9]),
            (60, 7, 55575, [45, 42, 35, 23, 40, 41, 6, 0]),
            (320, 40, 8256708, [45, 232, 267, 211, 27, 60, 290, 278]),
            (1000, 3, 246042008, [348, 999, 2, 996, 995, 5, 992, 989]),
            (
                5000,
                100,
                31388955590,
                [3050, 3830, 670, 2532, 4228, 2161, 2293, 2484],
            ),
        ];
        for (n, keys, checksum, head) in cases {
            let mut v = input(n, keys);
            go_sort(&mut v, |a, b| a.0 < b.0);
            let sum: u64 = v
                .iter()
                .enumerate()
                .map(|(k, p)| (k as u64 + 1) * p.1 as u64)
                .sum();
            assert_eq!(sum, checksum, "n={n}");
            let first: Vec<usize> = v.iter().take(8).map(|p| p.1).collect();
            assert_eq!(first, head, "n={n}");
        }
    }
}
