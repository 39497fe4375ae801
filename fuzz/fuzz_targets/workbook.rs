//! Any bytes as a workbook (`ingest::workbook::read_workbook`), then, when a sheet is
//! read, its text through the scorer. Seeded with the fixture workbooks
//! (tests/fixtures/workbooks), whose zip, OLE and XML structure the mutations keep
//! enough of to reach calamine's readers. Asserted, as the workbook module documents:
//!
//! * no panic (a panic in the page's workbook engine would kill it), and no allocation
//!   past libFuzzer's limit (the size and cell limits hold before calamine expands);
//! * a table read has line n = row n: its header is on line `header_row`;
//! * the sheet read is one of the workbook's sheets.
#![no_main]

use churn_audit::ingest::{self, workbook};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for choice in [workbook::SheetChoice::Auto, workbook::SheetChoice::Named("2".into())] {
        let Ok(t) = workbook::read_workbook(data, "fuzz.xlsx", &choice) else {
            continue;
        };
        assert!(t.sheets.iter().any(|s| s.name == t.sheet));
        if let Ok(table) = ingest::read_table(&t.csv, &t.label) {
            assert_eq!(table.header_line, t.header_row);
        }
        if let Ok(model) = churn_audit::default_model() {
            let _ = churn_audit::score::audit(&t.csv, &t.label, &model, 20_000);
        }
    }
});
