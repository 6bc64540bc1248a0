/**
 * Full-day closures of the New York Stock Exchange, 2026 and 2027 (NYSE holiday calendar; a holiday on a
 * Saturday is observed on the Friday before, on a Sunday the Monday after; New Year's Day 2028 falls on a
 * Saturday and, by NYSE rule, is not observed on Friday 2027-12-31). Early closes (13:00) are not listed:
 * the session still opens on those days.
 */
export const NYSE_HOLIDAYS: readonly string[] = [
  // 2026
  '2026-01-01', // New Year's Day
  '2026-01-19', // Martin Luther King Jr. Day
  '2026-02-16', // Washington's Birthday
  '2026-04-03', // Good Friday
  '2026-05-25', // Memorial Day
  '2026-06-19', // Juneteenth
  '2026-07-03', // Independence Day (observed; July 4 is a Saturday)
  '2026-09-07', // Labor Day
  '2026-11-26', // Thanksgiving Day
  '2026-12-25', // Christmas Day
  // 2027
  '2027-01-01', // New Year's Day
  '2027-01-18', // Martin Luther King Jr. Day
  '2027-02-15', // Washington's Birthday
  '2027-03-26', // Good Friday
  '2027-05-31', // Memorial Day
  '2027-06-18', // Juneteenth (observed; June 19 is a Saturday)
  '2027-07-05', // Independence Day (observed; July 4 is a Sunday)
  '2027-09-06', // Labor Day
  '2027-11-25', // Thanksgiving Day
  '2027-12-24', // Christmas Day (observed; December 25 is a Saturday)
];
