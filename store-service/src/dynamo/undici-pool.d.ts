// undici's pool module on its own (thin.ts imports it without undici's index).
declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici';
  export default Pool;
}
