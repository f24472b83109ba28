import { Category, ItemStatus } from '../gen/store/v1/store.ts';

/** Item categories as the REST API and the store's domain name them (proto CATEGORY_BOOKS ↔ books). */
export const CATEGORIES = ['books', 'electronics', 'clothing', 'home', 'toys', 'food', 'other'] as const;
export type CategoryName = (typeof CATEGORIES)[number];

/** Item statuses (proto ITEM_STATUS_OUT_OF_STOCK ↔ out_of_stock). */
export const STATUSES = ['active', 'out_of_stock', 'discontinued'] as const;
export type StatusName = (typeof STATUSES)[number];

/** A proto enum number that this build of the contract has no name for. */
export class UnknownEnumValueError extends Error {
  readonly field: string;
  readonly value: number;
  constructor(field: string, value: number) {
    super(`${field}: unknown value ${value}`);
    this.name = 'UnknownEnumValueError';
    this.field = field;
    this.value = value;
  }
}

interface EnumTable<N extends string> {
  readonly toProto: ReadonlyMap<N, number>;
  readonly fromProto: ReadonlyMap<number, N>;
}

// Built once at load; a name without a proto value, or a proto value without a name, is a
// contract mismatch and fails at start-up rather than on the first request that meets it.
function enumTable<N extends string>(
  names: readonly N[],
  proto: Readonly<Record<string, number>>,
  prefix: string,
): EnumTable<N> {
  const toProto = new Map<N, number>();
  const fromProto = new Map<number, N>();
  for (const name of names) {
    const value = proto[`${prefix}${name.toUpperCase()}`];
    if (value === undefined) throw new Error(`proto enum has no ${prefix}${name.toUpperCase()}`);
    toProto.set(name, value);
    fromProto.set(value, name);
  }
  for (const [key, value] of Object.entries(proto)) {
    // ts-proto adds UNRECOGNIZED = -1 for numbers it does not know; it is not a proto value.
    if (value > 0 && !fromProto.has(value)) throw new Error(`proto enum value ${key} has no name here`);
  }
  return { toProto, fromProto };
}

const categories = enumTable(CATEGORIES, Category, 'CATEGORY_');
const statuses = enumTable(STATUSES, ItemStatus, 'ITEM_STATUS_');

function toProto<N extends string>(table: EnumTable<N>, name: N): number {
  const value = table.toProto.get(name);
  if (value === undefined) throw new Error(`no proto value for ${name}`);
  return value;
}

function fromProto<N extends string>(table: EnumTable<N>, value: number, field: string): N | undefined {
  if (value === 0) return undefined;
  const name = table.fromProto.get(value);
  if (name === undefined) throw new UnknownEnumValueError(field, value);
  return name;
}

export const categoryToProto = (name: CategoryName): Category => toProto(categories, name) as Category;
export const statusToProto = (name: StatusName): ItemStatus => toProto(statuses, name) as ItemStatus;

/** undefined for CATEGORY_UNSPECIFIED; throws UnknownEnumValueError for a number the contract lacks. */
export const categoryFromProto = (value: number, field = 'category'): CategoryName | undefined =>
  fromProto(categories, value, field);
/** undefined for ITEM_STATUS_UNSPECIFIED; throws UnknownEnumValueError for a number the contract lacks. */
export const statusFromProto = (value: number, field = 'status'): StatusName | undefined =>
  fromProto(statuses, value, field);
