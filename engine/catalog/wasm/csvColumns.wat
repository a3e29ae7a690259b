;; Column parser for SkyPilot catalog CSVs (see ../table.ts, which drives it).
;; Why WebAssembly: in a fresh process V8 runs a JavaScript byte loop in its interpreter
;; until the optimizing compiler catches up, which made the first CSV load slower than
;; pandas. WebAssembly is compiled straight to machine code (Liftoff) before it runs.
;;
;; Rebuild after editing: node engine/catalog/wasm/build.mjs (needs wat2wasm, Debian's wabt).
;;
;; The caller streams the file through a chunk buffer in this memory: each call of `parse`
;; gets whole records only, so the file itself never sits in memory (on a machine where
;; touching fresh memory is slow, that matters as much as parsing).
;;
;; Memory layout (byte addresses chosen by the caller):
;;   [from, end)  whole records of the CSV (the chunk buffer)
;;   roles     one byte per column: 0 skip, 1 string (intern -> i32 id, -1 empty),
;;             2 number (f64, NaN empty)
;;   slots     one i32 per column: address of that column's output, i32 or f64 per row;
;;             every row of a used column is written (defaults for empty/missing cells)
;;   hash      i32 slots (0 = empty, else id + 1), mask + 1 of them
;;   ents      per interned id: i32 arena offset, i32 length
;;   arena     the interned strings' bytes (the chunk is overwritten by the next read)
;;   slow      per number the fast path cannot read (exponent, "nan", > 15 digits):
;;             i32 output address, i32 start, i32 end (in this chunk: the caller parses
;;             them before reading on)
;; parse returns the number of records so far (rows are numbered across calls until
;; `reset`), or a negative code: -1 unterminated quote, -2 a quoted cell with "" escapes,
;; -3 too many distinct strings, -4 too many slow numbers, -5 more rows than room
;; (the caller then uses its JavaScript parser).
(module
  (memory (export "mem") 1)
  (global $nEnts (export "nEnts") (mut i32) (i32.const 0))
  (global $nSlow (export "nSlow") (mut i32) (i32.const 0))
  (global $err (mut i32) (i32.const 0))
  (global $row (mut i32) (i32.const 0))
  (global $arenaUsed (export "arenaUsed") (mut i32) (i32.const 0))

  (func (export "reset")
    (global.set $nEnts (i32.const 0))
    (global.set $row (i32.const 0))
    (global.set $arenaUsed (i32.const 0)))

  ;; Interns bytes [s, s + n): returns the id (0-based), sets $err on overflow.
  (func $intern (param $s i32) (param $n i32) (param $hash i32) (param $mask i32) (param $ents i32) (param $maxEnts i32) (param $arena i32) (param $arenaSize i32) (result i32)
    (local $h i32) (local $k i32) (local $slot i32) (local $v i32) (local $off i32) (local $id i32)
    (local.set $h (i32.const 0x811c9dc5))
    (local.set $k (i32.const 0))
    (block $hashed
      (loop $byte
        (br_if $hashed (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $h (i32.mul
          (i32.xor (local.get $h) (i32.load8_u (i32.add (local.get $s) (local.get $k))))
          (i32.const 0x01000193)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $byte)))
    (local.set $slot (i32.and (local.get $h) (local.get $mask)))
    (loop $probe
      (local.set $v (i32.load (i32.add (local.get $hash) (i32.shl (local.get $slot) (i32.const 2)))))
      (if (i32.eqz (local.get $v))
        (then
          (local.set $id (global.get $nEnts))
          (if (i32.or (i32.ge_u (local.get $id) (local.get $maxEnts))
                      (i32.gt_u (i32.add (global.get $arenaUsed) (local.get $n)) (local.get $arenaSize)))
            (then (global.set $err (i32.const -3)) (return (i32.const 0))))
          (local.set $off (i32.add (local.get $arena) (global.get $arenaUsed)))
          (memory.copy (local.get $off) (local.get $s) (local.get $n))
          (global.set $arenaUsed (i32.add (global.get $arenaUsed) (local.get $n)))
          (i32.store (i32.add (local.get $ents) (i32.shl (local.get $id) (i32.const 3))) (local.get $off))
          (i32.store (i32.add (local.get $ents) (i32.add (i32.shl (local.get $id) (i32.const 3)) (i32.const 4))) (local.get $n))
          (i32.store (i32.add (local.get $hash) (i32.shl (local.get $slot) (i32.const 2))) (i32.add (local.get $id) (i32.const 1)))
          (global.set $nEnts (i32.add (local.get $id) (i32.const 1)))
          (return (local.get $id))))
      (local.set $id (i32.sub (local.get $v) (i32.const 1)))
      (if (i32.eq (i32.load (i32.add (local.get $ents) (i32.add (i32.shl (local.get $id) (i32.const 3)) (i32.const 4)))) (local.get $n))
        (then
          (local.set $off (i32.load (i32.add (local.get $ents) (i32.shl (local.get $id) (i32.const 3)))))
          (local.set $k (i32.const 0))
          (block $differ
            (loop $cmp
              (if (i32.ge_u (local.get $k) (local.get $n)) (then (return (local.get $id))))
              (br_if $differ (i32.ne
                (i32.load8_u (i32.add (local.get $off) (local.get $k)))
                (i32.load8_u (i32.add (local.get $s) (local.get $k)))))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $cmp)))))
      (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (local.get $mask)))
      (br $probe))
    (i32.const 0))

  ;; Writes the decimal number in [s, e) as f64 at `out`, or queues it for the caller.
  (func $number (param $s i32) (param $e i32) (param $out i32) (param $slow i32) (param $maxSlow i32)
    (local $i i32) (local $c i32) (local $digits i32) (local $neg i32) (local $v f64) (local $scale f64) (local $q i32)
    (local.set $i (local.get $s))
    (local.set $v (f64.const 0))
    (local.set $scale (f64.const 1))
    (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2d))
      (then (local.set $neg (i32.const 1)) (local.set $i (i32.add (local.get $i) (i32.const 1)))))
    (block $int
      (loop $d
        (br_if $int (i32.ge_u (local.get $i) (local.get $e)))
        (local.set $c (i32.sub (i32.load8_u (local.get $i)) (i32.const 0x30)))
        (br_if $int (i32.gt_u (local.get $c) (i32.const 9)))
        (local.set $v (f64.add (f64.mul (local.get $v) (f64.const 10)) (f64.convert_i32_u (local.get $c))))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $d)))
    (if (i32.and (i32.lt_u (local.get $i) (local.get $e)) (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2e)))
      (then
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (block $frac
          (loop $d
            (br_if $frac (i32.ge_u (local.get $i) (local.get $e)))
            (local.set $c (i32.sub (i32.load8_u (local.get $i)) (i32.const 0x30)))
            (br_if $frac (i32.gt_u (local.get $c) (i32.const 9)))
            (local.set $v (f64.add (f64.mul (local.get $v) (f64.const 10)) (f64.convert_i32_u (local.get $c))))
            (local.set $scale (f64.mul (local.get $scale) (f64.const 10)))
            (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $d)))))
    ;; Exact while at most 15 digits: v and scale are exact integers, so v / scale is
    ;; correctly rounded (the value JavaScript's Number() gives).
    (if (i32.and (i32.eq (local.get $i) (local.get $e))
                 (i32.and (i32.ne (local.get $digits) (i32.const 0)) (i32.le_u (local.get $digits) (i32.const 15))))
      (then
        (local.set $v (f64.div (local.get $v) (local.get $scale)))
        (f64.store (local.get $out) (select (f64.neg (local.get $v)) (local.get $v) (local.get $neg)))
        (return)))
    (local.set $q (global.get $nSlow))
    (if (i32.ge_u (local.get $q) (local.get $maxSlow))
      (then (global.set $err (i32.const -4)) (return)))
    (local.set $q (i32.add (local.get $slow) (i32.mul (local.get $q) (i32.const 12))))
    (i32.store (local.get $q) (local.get $out))
    (i32.store offset=4 (local.get $q) (local.get $s))
    (i32.store offset=8 (local.get $q) (local.get $e))
    (global.set $nSlow (i32.add (global.get $nSlow) (i32.const 1))))

  (func (export "parse")
    (param $from i32) (param $len i32) (param $roles i32) (param $slots i32) (param $nCols i32)
    (param $hash i32) (param $mask i32) (param $ents i32) (param $maxEnts i32) (param $arena i32) (param $arenaSize i32)
    (param $slow i32) (param $maxSlow i32) (param $maxRows i32)
    (result i32)
    (local $i i32) (local $c i32) (local $s i32) (local $e i32) (local $f i32) (local $role i32) (local $base i32) (local $row i32)
    (global.set $nSlow (i32.const 0))
    (global.set $err (i32.const 0))
    (local.set $row (global.get $row))
    (local.set $i (local.get $from))
    (block $eof
      (loop $record
        (br_if $eof (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $c (i32.load8_u (local.get $i)))
        ;; Blank line (LF, or the CR of CRLF): not a record.
        (if (i32.or (i32.eq (local.get $c) (i32.const 10)) (i32.eq (local.get $c) (i32.const 13)))
          (then (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $record)))
        (if (i32.ge_u (local.get $row) (local.get $maxRows)) (then (return (i32.const -5))))
        ;; Defaults for this row in every used column (-1 id, NaN).
        (local.set $f (i32.const 0))
        (block $defaulted
          (loop $col
            (br_if $defaulted (i32.ge_u (local.get $f) (local.get $nCols)))
            (local.set $role (i32.load8_u (i32.add (local.get $roles) (local.get $f))))
            (local.set $base (i32.load (i32.add (local.get $slots) (i32.shl (local.get $f) (i32.const 2)))))
            (if (i32.eq (local.get $role) (i32.const 1))
              (then (i32.store (i32.add (local.get $base) (i32.shl (local.get $row) (i32.const 2))) (i32.const -1))))
            (if (i32.eq (local.get $role) (i32.const 2))
              (then (f64.store (i32.add (local.get $base) (i32.shl (local.get $row) (i32.const 3))) (f64.const nan))))
            (local.set $f (i32.add (local.get $f) (i32.const 1)))
            (br $col)))
        (local.set $f (i32.const 0))
        (block $endRecord
          (loop $field
            ;; Cell bounds [s, e).
            (if (i32.and (i32.lt_u (local.get $i) (local.get $len)) (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x22)))
              (then
                (local.set $s (i32.add (local.get $i) (i32.const 1)))
                (local.set $e (local.get $s))
                (block $closed
                  (loop $q
                    (if (i32.ge_u (local.get $e) (local.get $len)) (then (return (i32.const -1))))
                    (br_if $closed (i32.eq (i32.load8_u (local.get $e)) (i32.const 0x22)))
                    (local.set $e (i32.add (local.get $e) (i32.const 1)))
                    (br $q)))
                (local.set $i (i32.add (local.get $e) (i32.const 1)))
                (if (i32.and (i32.lt_u (local.get $i) (local.get $len)) (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x22)))
                  (then (return (i32.const -2))))
                ;; Anything between the closing quote and the delimiter is ignored.
                (block $delim
                  (loop $skip
                    (br_if $delim (i32.ge_u (local.get $i) (local.get $len)))
                    (local.set $c (i32.load8_u (local.get $i)))
                    (br_if $delim (i32.or (i32.eq (local.get $c) (i32.const 0x2c))
                                          (i32.or (i32.eq (local.get $c) (i32.const 10)) (i32.eq (local.get $c) (i32.const 13)))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $skip))))
              (else
                (local.set $s (local.get $i))
                (block $delim
                  (loop $scan
                    (br_if $delim (i32.ge_u (local.get $i) (local.get $len)))
                    (local.set $c (i32.load8_u (local.get $i)))
                    ;; Every byte above ',' is cell content: one comparison for most bytes.
                    (if (i32.le_u (local.get $c) (i32.const 0x2c))
                      (then (br_if $delim (i32.or (i32.eq (local.get $c) (i32.const 0x2c))
                                                  (i32.or (i32.eq (local.get $c) (i32.const 10)) (i32.eq (local.get $c) (i32.const 13)))))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br $scan)))
                (local.set $e (local.get $i))))
            ;; Store the cell by its column's role.
            (if (i32.and (i32.lt_u (local.get $f) (local.get $nCols)) (i32.gt_u (local.get $e) (local.get $s)))
              (then
                (local.set $role (i32.load8_u (i32.add (local.get $roles) (local.get $f))))
                (local.set $base (i32.load (i32.add (local.get $slots) (i32.shl (local.get $f) (i32.const 2)))))
                (if (i32.eq (local.get $role) (i32.const 1))
                  (then
                    (i32.store (i32.add (local.get $base) (i32.shl (local.get $row) (i32.const 2)))
                      (call $intern (local.get $s) (i32.sub (local.get $e) (local.get $s)) (local.get $hash) (local.get $mask)
                                    (local.get $ents) (local.get $maxEnts) (local.get $arena) (local.get $arenaSize)))))
                (if (i32.eq (local.get $role) (i32.const 2))
                  (then (call $number (local.get $s) (local.get $e) (i32.add (local.get $base) (i32.shl (local.get $row) (i32.const 3))) (local.get $slow) (local.get $maxSlow))))))
            (local.set $f (i32.add (local.get $f) (i32.const 1)))
            ;; Delimiter: ',' -> next cell; CR/LF/end -> next record.
            (if (i32.ge_u (local.get $i) (local.get $len))
              (then (local.set $row (i32.add (local.get $row) (i32.const 1))) (br $eof)))
            (local.set $c (i32.load8_u (local.get $i)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $field (i32.eq (local.get $c) (i32.const 0x2c)))
            (if (i32.and (i32.eq (local.get $c) (i32.const 13))
                         (i32.and (i32.lt_u (local.get $i) (local.get $len)) (i32.eq (i32.load8_u (local.get $i)) (i32.const 10))))
              (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
            (local.set $row (i32.add (local.get $row) (i32.const 1)))
            (br $endRecord)))
        (br $record)))
    (global.set $row (local.get $row))
    (if (global.get $err) (then (return (global.get $err))))
    (local.get $row))
;; String column ids -> the caller's ids, in place: col[r] = map[col[r]] (-1 stays).
  (func (export "remap") (param $col i32) (param $n i32) (param $map i32)
    (local $end i32) (local $v i32)
    (local.set $end (i32.add (local.get $col) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $col) (local.get $end)))
        (local.set $v (i32.load (local.get $col)))
        (if (i32.ge_s (local.get $v) (i32.const 0))
          (then (i32.store (local.get $col) (i32.load (i32.add (local.get $map) (i32.shl (local.get $v) (i32.const 2)))))))
        (local.set $col (i32.add (local.get $col) (i32.const 4)))
        (br $next))))

  ;; GpuInfo column (string ids) -> has (u8 per row) and device memory (f64 per row, from
  ;; the caller's per-id values; NaN for empty cells).
  (func (export "gpuInfo") (param $col i32) (param $n i32) (param $perId i32) (param $has i32) (param $gb i32)
    (local $r i32) (local $v i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $v (i32.load (i32.add (local.get $col) (i32.shl (local.get $r) (i32.const 2)))))
        (if (i32.ge_s (local.get $v) (i32.const 0))
          (then
            (i32.store8 (i32.add (local.get $has) (local.get $r)) (i32.const 1))
            (f64.store (i32.add (local.get $gb) (i32.shl (local.get $r) (i32.const 3)))
              (f64.load (i32.add (local.get $perId) (i32.shl (local.get $v) (i32.const 3))))))
          (else
            (i32.store8 (i32.add (local.get $has) (local.get $r)) (i32.const 0))
            (f64.store (i32.add (local.get $gb) (i32.shl (local.get $r) (i32.const 3))) (f64.const nan))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $next))))

  ;; What the catalog index needs from every row, in one pass plus a counting sort (see
  ;; summarizeTable in ../catalog.ts, the same in JavaScript). Columns hold the caller's
  ;; string ids; an absent column is address -1. Per string id (nIds of them): type row
  ;; count, first row, min price, min spot price, zone -> region, seen flags (1 region,
  ;; 2 accelerator); start (nIds + 1) and sorted: rows grouped by instance type; attach:
  ;; rows without an instance type but with an accelerator. Returns how many of those.
  (func (export "summarize")
    (param $n i32) (param $itCol i32) (param $regCol i32) (param $zoneCol i32) (param $accCol i32) (param $priceCol i32) (param $spotCol i32)
    (param $nIds i32) (param $typeCount i32) (param $firstRow i32) (param $minPrice i32) (param $minSpot i32) (param $zoneRegion i32) (param $seen i32)
    (param $start i32) (param $fill i32) (param $sorted i32) (param $attach i32)
    (result i32)
    (local $r i32) (local $id i32) (local $it i32) (local $reg i32) (local $z i32) (local $acc i32) (local $c i32) (local $p f64) (local $at i32) (local $nAttach i32) (local $sum i32)
    (block $done
      (loop $init
        (br_if $done (i32.ge_u (local.get $id) (local.get $nIds)))
        (i32.store (i32.add (local.get $typeCount) (i32.shl (local.get $id) (i32.const 2))) (i32.const 0))
        (i32.store (i32.add (local.get $firstRow) (i32.shl (local.get $id) (i32.const 2))) (i32.const -1))
        (i32.store (i32.add (local.get $zoneRegion) (i32.shl (local.get $id) (i32.const 2))) (i32.const -1))
        (f64.store (i32.add (local.get $minPrice) (i32.shl (local.get $id) (i32.const 3))) (f64.const nan))
        (f64.store (i32.add (local.get $minSpot) (i32.shl (local.get $id) (i32.const 3))) (f64.const nan))
        (i32.store8 (i32.add (local.get $seen) (local.get $id)) (i32.const 0))
        (local.set $id (i32.add (local.get $id) (i32.const 1)))
        (br $init)))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $reg (i32.const -1))
        (if (i32.ge_s (local.get $regCol) (i32.const 0))
          (then (local.set $reg (i32.load (i32.add (local.get $regCol) (i32.shl (local.get $r) (i32.const 2)))))))
        (if (i32.ge_s (local.get $reg) (i32.const 0))
          (then
            (local.set $at (i32.add (local.get $seen) (local.get $reg)))
            (i32.store8 (local.get $at) (i32.or (i32.load8_u (local.get $at)) (i32.const 1)))
            (if (i32.ge_s (local.get $zoneCol) (i32.const 0))
              (then
                (local.set $z (i32.load (i32.add (local.get $zoneCol) (i32.shl (local.get $r) (i32.const 2)))))
                (if (i32.ge_s (local.get $z) (i32.const 0))
                  (then (i32.store (i32.add (local.get $zoneRegion) (i32.shl (local.get $z) (i32.const 2))) (local.get $reg))))))))
        (local.set $acc (i32.const -1))
        (if (i32.ge_s (local.get $accCol) (i32.const 0))
          (then (local.set $acc (i32.load (i32.add (local.get $accCol) (i32.shl (local.get $r) (i32.const 2)))))))
        (if (i32.ge_s (local.get $acc) (i32.const 0))
          (then
            (local.set $at (i32.add (local.get $seen) (local.get $acc)))
            (i32.store8 (local.get $at) (i32.or (i32.load8_u (local.get $at)) (i32.const 2)))))
        (local.set $it (i32.load (i32.add (local.get $itCol) (i32.shl (local.get $r) (i32.const 2)))))
        (if (i32.ge_s (local.get $it) (i32.const 0))
          (then
            (local.set $at (i32.add (local.get $typeCount) (i32.shl (local.get $it) (i32.const 2))))
            (local.set $c (i32.load (local.get $at)))
            (if (i32.eqz (local.get $c))
              (then (i32.store (i32.add (local.get $firstRow) (i32.shl (local.get $it) (i32.const 2))) (local.get $r))))
            (i32.store (local.get $at) (i32.add (local.get $c) (i32.const 1)))
            (if (i32.ge_s (local.get $priceCol) (i32.const 0))
              (then
                (local.set $p (f64.load (i32.add (local.get $priceCol) (i32.shl (local.get $r) (i32.const 3)))))
                (local.set $at (i32.add (local.get $minPrice) (i32.shl (local.get $it) (i32.const 3))))
                ;; Known prices only; NaN (unknown) never wins.
                (if (i32.and (f64.eq (local.get $p) (local.get $p)) (i32.eqz (f64.le (f64.load (local.get $at)) (local.get $p))))
                  (then (f64.store (local.get $at) (local.get $p))))))
            (if (i32.ge_s (local.get $spotCol) (i32.const 0))
              (then
                (local.set $p (f64.load (i32.add (local.get $spotCol) (i32.shl (local.get $r) (i32.const 3)))))
                (local.set $at (i32.add (local.get $minSpot) (i32.shl (local.get $it) (i32.const 3))))
                (if (i32.and (f64.eq (local.get $p) (local.get $p)) (i32.eqz (f64.le (f64.load (local.get $at)) (local.get $p))))
                  (then (f64.store (local.get $at) (local.get $p)))))))
          (else
            (if (i32.ge_s (local.get $acc) (i32.const 0))
              (then
                (i32.store (i32.add (local.get $attach) (i32.shl (local.get $nAttach) (i32.const 2))) (local.get $r))
                (local.set $nAttach (i32.add (local.get $nAttach) (i32.const 1)))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))
    ;; Counting sort by instance type.
    (local.set $id (i32.const 0))
    (block $done
      (loop $prefix
        (i32.store (i32.add (local.get $start) (i32.shl (local.get $id) (i32.const 2))) (local.get $sum))
        (br_if $done (i32.ge_u (local.get $id) (local.get $nIds)))
        (i32.store (i32.add (local.get $fill) (i32.shl (local.get $id) (i32.const 2))) (local.get $sum))
        (local.set $sum (i32.add (local.get $sum) (i32.load (i32.add (local.get $typeCount) (i32.shl (local.get $id) (i32.const 2))))))
        (local.set $id (i32.add (local.get $id) (i32.const 1)))
        (br $prefix)))
    (local.set $r (i32.const 0))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $it (i32.load (i32.add (local.get $itCol) (i32.shl (local.get $r) (i32.const 2)))))
        (if (i32.ge_s (local.get $it) (i32.const 0))
          (then
            (local.set $at (i32.add (local.get $fill) (i32.shl (local.get $it) (i32.const 2))))
            (local.set $c (i32.load (local.get $at)))
            (i32.store (i32.add (local.get $sorted) (i32.shl (local.get $c) (i32.const 2))) (local.get $r))
            (i32.store (local.get $at) (i32.add (local.get $c) (i32.const 1)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row)))
    (local.get $nAttach))
)
