/** The column-oriented table a catalog's vms.csv is parsed into, shared by both parsers. */
export interface VmTable {
  cloud: string;
  size: number;
  /** Interned string ids (-1 = empty). */
  instanceType: Int32Array;
  accName: Int32Array;
  region: Int32Array;
  zone: Int32Array;
  arch: Int32Array;
  /** Numbers (NaN = empty). AcceleratorCount may be fractional (Azure A10 slices, AWS g6f). */
  accCount: Float64Array;
  vcpus: Float64Array;
  memoryGb: Float64Array;
  price: Float64Array;
  spotPrice: Float64Array;
  /** Device memory per GPU from GpuInfo ('SizeInMiB'), GiB; NaN when not given. */
  gpuMemoryGb: Float64Array;
  /** 1 when GpuInfo is non-empty: SkyPilot counts a row as a GPU offering only then. */
  hasGpuInfo: Uint8Array;
  /** The per-row pass of the catalog index, when the parser already did it (WebAssembly path). */
  summary?: TableSummary;
}

/**
 * Everything the catalog index needs from a pass over every row (catalog.ts builds the rest
 * from it). Arrays indexed by string id hold ids below `nIds`.
 */
export interface TableSummary {
  nIds: number;
  /** Per instance-type id: rows, first row, cheapest known on-demand / spot price (NaN = none). */
  typeCount: Int32Array;
  firstRow: Int32Array;
  minPrice: Float64Array;
  minSpot: Float64Array;
  /** Per zone id: its region id (-1 = not a zone here). */
  zoneRegion: Int32Array;
  /** Per id: bit 1 = a region here, bit 2 = an accelerator name here. */
  seen: Uint8Array;
  /** Rows grouped by instance type: type id's rows are sorted[start[id] .. start[id + 1]). */
  start: Int32Array;
  sorted: Int32Array;
  /** Rows with an accelerator but no instance type (GCP's attachable GPUs and TPUs). */
  attachRows: Int32Array;
}
