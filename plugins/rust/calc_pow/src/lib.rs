//! calc-pow: one operator of the calc.op interface: apply(a, b) = a ^ b.
//! A negative base has no real power for a non-integer exponent: refused.

#[path = "../../../../native/rust/plugboard.rs"]
mod plugboard;

plugboard::plugin!("calc-pow", "0.1.0");
plugboard::interface!(calc_op, "calc.op", 1, 0);

plugboard::function!(
    calc_op,
    fn name() -> cstring {
        c"^".as_ptr()
    }
);

plugboard::fallible!(
    calc_op,
    fn apply(a: f64, b: f64) -> f64 {
        if a < 0.0 && b.fract() != 0.0 {
            return Err(plugboard::fail!(
                1,
                "non-integer exponent {} of negative base {}",
                b,
                a
            ));
        }
        Ok(a.powf(b))
    }
);
