package postgres

import "gorm.io/gorm"

// countUpTo counts table's rows one by one, but reads at most limit+1 of
// them: over reports that there are more than limit, and the caller then
// estimates instead (a large table is not read whole for a number). table
// is one of ours, never input.
func countUpTo(db *gorm.DB, table string, limit int64) (n int64, over bool, err error) {
	err = db.Raw("SELECT count(*) FROM (SELECT 1 FROM "+table+" LIMIT ?) AS head", limit+1).Scan(&n).Error
	return n, n > limit, err
}
