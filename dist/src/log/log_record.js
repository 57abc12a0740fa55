// Generated from src/log/log_record.ts by tasks/dist.ts (deno task dist): do not edit.
export var logRecord = (function logRecord(level, event, message, fields = {}) {
    return { time: new Date().toISOString(), level, event, message, ...fields };
});
