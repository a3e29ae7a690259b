// Language server entry (`node dist/server.js --stdio`). Skeleton; see issue 2.
export {};
