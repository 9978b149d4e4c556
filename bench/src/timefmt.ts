// The timestamp spellings SPEC accepts, mixed in generated CDRs.

export const TimeFmt = {
  Z: 0,
  Z_MS: 1,
  OFFSET_LIMA: 2,
  LOCAL_T: 3,
  LOCAL_SPACE: 4,
  EPOCH_MS: 5,
  OFFSET_UTC: 6,
  OFFSET_MINUS3: 7,
  OFFSET_PLUS1: 8,
} as const;
export type TimeFmt = (typeof TimeFmt)[keyof typeof TimeFmt];

/** Minutes east of UTC of the zone written by each format (LOCAL_* use the engine's default -05:00). */
function offsetMin(fmt: TimeFmt): number {
  switch (fmt) {
    case TimeFmt.OFFSET_UTC:
      return 0;
    case TimeFmt.OFFSET_MINUS3:
      return -180;
    case TimeFmt.OFFSET_PLUS1:
      return 60;
    case TimeFmt.Z:
    case TimeFmt.Z_MS:
      return 0;
    default:
      return -300;
  }
}

function zone(min: number): string {
  const s = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `${s}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

export function formatTime(ms: number, fmt: TimeFmt): string {
  if (fmt === TimeFmt.EPOCH_MS) return String(ms);
  const off = offsetMin(fmt);
  const iso = new Date(ms + off * 60000).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const base = iso.slice(0, 19);
  const frac = ms % 1000 !== 0 ? iso.slice(19, 23) : '';
  switch (fmt) {
    case TimeFmt.Z:
      return base + 'Z';
    case TimeFmt.Z_MS:
      return base + iso.slice(19, 23) + 'Z';
    case TimeFmt.LOCAL_T:
      return base + frac;
    case TimeFmt.LOCAL_SPACE:
      return base.replace('T', ' ') + frac;
    default:
      return base + frac + zone(off);
  }
}
