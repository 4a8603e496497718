// Express ships no types and @types/express is not needed to check ours: any will do here.
declare module 'express' {
  const express: any;
  export default express;
}
