//! Activations written as formulas in x, for the exercise "design your own activation".
//!
//! `--activation-expr "x * sigmoid(1.702 * x)"` is read into an [`Expr`] tree, and the tree is
//! evaluated with tensor ops, so autograd differentiates the new activation like any built-in
//! one. The grammar, from the loosest binding to the tightest:
//!
//! ```text
//! sum      = product (("+" | "-") product)*
//! product  = negation (("*" | "/") negation)*
//! negation = "-" negation | power
//! power    = operand ("^" negation)?
//! operand  = number | "x" | function "(" sum ("," sum)* ")" | "(" sum ")"
//! ```
//!
//! So `^` binds tighter than a leading minus, as in mathematics (`-x^2` is `-(x^2)`), groups to
//! the right (`2^3^2` is `2^9`), and its exponent may carry a minus of its own (`x^-2`). Numbers
//! take decimals and exponents (`1e-3`). The functions are exp, log, tanh, sigmoid, softplus,
//! erf, relu and abs of one argument, and min and max of two. A mistake is reported with the
//! 1-based position of the character where reading stopped and what could have stood there.
//!
//! The custom activation itself is parsed once, when the command line is checked, and kept for
//! the whole process: [`crate::activation::Activation`] is a plain `Copy` enum that training
//! threads share, so it cannot carry the tree.

use std::fmt;
use std::sync::OnceLock;

use tch::Tensor;

/// A parsed expression in the variable `x`.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    X,
    Number(f64),
    Neg(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Call(Function, Vec<Expr>),
}

/// The binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

/// The functions an expression may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Exp,
    Log,
    Tanh,
    Sigmoid,
    Softplus,
    Erf,
    Relu,
    Abs,
    Min,
    Max,
}

/// Why an expression could not be read: where, and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The 1-based position of the offending character; one past the end when the text ran out.
    pub position: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "position {}: {}", self.position, self.message)
    }
}

impl std::error::Error for ParseError {}

impl Op {
    fn symbol(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
            Op::Pow => "^",
        }
    }
}

impl Function {
    /// Every function, in the order error messages list them.
    pub const ALL: [Function; 10] = [
        Function::Exp,
        Function::Log,
        Function::Tanh,
        Function::Sigmoid,
        Function::Softplus,
        Function::Erf,
        Function::Relu,
        Function::Abs,
        Function::Min,
        Function::Max,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Function::Exp => "exp",
            Function::Log => "log",
            Function::Tanh => "tanh",
            Function::Sigmoid => "sigmoid",
            Function::Softplus => "softplus",
            Function::Erf => "erf",
            Function::Relu => "relu",
            Function::Abs => "abs",
            Function::Min => "min",
            Function::Max => "max",
        }
    }

    /// How many arguments the function takes.
    pub fn arity(self) -> usize {
        match self {
            Function::Min | Function::Max => 2,
            _ => 1,
        }
    }

    fn named(name: &str) -> Option<Function> {
        Function::ALL.into_iter().find(|f| f.name() == name)
    }

    /// `args` holds exactly [`Function::arity`] tensors; the parser has made sure of it.
    fn apply(self, args: &[Tensor]) -> Tensor {
        let a = &args[0];
        match self {
            Function::Exp => a.exp(),
            Function::Log => a.log(),
            Function::Tanh => a.tanh(),
            Function::Sigmoid => a.sigmoid(),
            // ATen's softplus, as `F.softplus` computes it: linear above 20, so no overflow.
            Function::Softplus => a.softplus(),
            Function::Erf => a.erf(),
            Function::Relu => a.relu(),
            Function::Abs => a.abs(),
            Function::Min => a.minimum(&args[1]),
            Function::Max => a.maximum(&args[1]),
        }
    }
}

/// The known function names, comma-separated, for error messages.
fn known_functions() -> String {
    Function::ALL.map(Function::name).join(", ")
}

impl Expr {
    /// Reads `text` as an expression in `x`.
    pub fn parse(text: &str) -> Result<Expr, ParseError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens: &tokens, next: 0 };
        let expr = parser.sum()?;
        parser.expect_end()?;
        Ok(expr)
    }

    /// Whether the expression mentions the variable at all.
    pub fn uses_x(&self) -> bool {
        match self {
            Expr::X => true,
            Expr::Number(_) => false,
            Expr::Neg(a) => a.uses_x(),
            Expr::Binary(_, a, b) => a.uses_x() || b.uses_x(),
            Expr::Call(_, args) => args.iter().any(Expr::uses_x),
        }
    }

    /// Evaluates the expression at every element of the floating-point tensor `x`, recording
    /// the ops for autograd. Each number becomes a 0-dimensional tensor of `x`'s kind and
    /// device, which broadcasts against `x` as a Python scalar would; an expression without `x`
    /// therefore gives a 0-dimensional tensor.
    pub fn eval(&self, x: &Tensor) -> Tensor {
        match self {
            Expr::X => x.shallow_clone(),
            Expr::Number(value) => Tensor::scalar_tensor(*value, (x.kind(), x.device())),
            Expr::Neg(a) => a.eval(x).neg(),
            Expr::Binary(op, a, b) => {
                let (a, b) = (a.eval(x), b.eval(x));
                match op {
                    Op::Add => a + b,
                    Op::Sub => a - b,
                    Op::Mul => a * b,
                    Op::Div => a / b,
                    Op::Pow => a.pow(&b),
                }
            }
            Expr::Call(function, args) => {
                let args: Vec<Tensor> = args.iter().map(|arg| arg.eval(x)).collect();
                function.apply(&args)
            }
        }
    }
}

/// Fully parenthesized, so the reading of every operator is visible: `-x^2` shows as
/// `(-(x ^ 2))`.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::X => f.write_str("x"),
            Expr::Number(value) => write!(f, "{value}"),
            Expr::Neg(a) => write!(f, "(-{a})"),
            Expr::Binary(op, a, b) => write!(f, "({a} {} {b})", op.symbol()),
            Expr::Call(function, args) => {
                let args: Vec<String> = args.iter().map(Expr::to_string).collect();
                write!(f, "{}({})", function.name(), args.join(", "))
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    Open,
    Close,
    Comma,
    End,
}

/// A token with the 1-based position of its first character and its text as written.
struct Spanned {
    token: Token,
    position: usize,
    text: String,
}

impl Spanned {
    /// The token as an error message names what it found.
    fn found(&self) -> String {
        match self.token {
            Token::End => "the end of the expression".to_owned(),
            _ => format!("'{}'", self.text),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Spanned>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;

    while i < chars.len() {
        let start = i;
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }

        let token = if c.is_ascii_digit() || c == '.' {
            i = number_end(&chars, start)?;
            let written: String = chars[start..i].iter().collect();
            let value: f64 = written.parse().expect("number_end keeps to Rust's float syntax");
            if !value.is_finite() {
                return Err(ParseError {
                    position: start + 1,
                    message: format!("the number '{written}' is too large"),
                });
            }
            Token::Number(value)
        } else if c.is_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            Token::Name(chars[start..i].iter().collect())
        } else {
            i += 1;
            match c {
                '+' => Token::Plus,
                '-' => Token::Minus,
                '*' => Token::Star,
                '/' => Token::Slash,
                '^' => Token::Caret,
                '(' => Token::Open,
                ')' => Token::Close,
                ',' => Token::Comma,
                _ => {
                    return Err(ParseError {
                        position: start + 1,
                        message: format!(
                            "unexpected character '{c}'; expected a number, x, a function, an \
                             operator (+ - * / ^), a parenthesis or a comma"
                        ),
                    })
                }
            }
        };
        tokens.push(Spanned { token, position: start + 1, text: chars[start..i].iter().collect() });
    }

    tokens.push(Spanned { token: Token::End, position: chars.len() + 1, text: String::new() });
    Ok(tokens)
}

/// Where the number starting at `start` ends: digits with an optional decimal point, then an
/// optional exponent (`e`, an optional sign, digits). An `e` always starts an exponent, so `1e`
/// is an unfinished number rather than 1 followed by a name.
fn number_end(chars: &[char], start: usize) -> Result<usize, ParseError> {
    let digits_from = |mut i: usize| {
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        i
    };

    let whole_end = digits_from(start);
    let mut i = whole_end;
    let mut has_digits = whole_end > start;
    if i < chars.len() && chars[i] == '.' {
        let fraction_end = digits_from(i + 1);
        has_digits |= fraction_end > i + 1;
        i = fraction_end;
    }
    if !has_digits {
        return Err(ParseError {
            position: start + 1,
            message: "expected a digit before or after '.', found a lone '.'".to_owned(),
        });
    }

    if i < chars.len() && matches!(chars[i], 'e' | 'E') {
        i += 1;
        if i < chars.len() && matches!(chars[i], '+' | '-') {
            i += 1;
        }
        let exponent_end = digits_from(i);
        if exponent_end == i {
            let so_far: String = chars[start..i].iter().collect();
            let found =
                chars.get(i).map_or("the end of the expression".to_owned(), |c| format!("'{c}'"));
            return Err(ParseError {
                position: i + 1,
                message: format!("expected a digit in the exponent of '{so_far}', found {found}"),
            });
        }
        i = exponent_end;
    }
    Ok(i)
}

/// A recursive-descent parser, one method per rule of the grammar in the module doc.
struct Parser<'a> {
    tokens: &'a [Spanned],
    next: usize,
}

/// What a `)` closes, which decides what else could have stood in its place.
#[derive(Clone, Copy)]
enum Enclosing {
    Parentheses,
    Arguments,
}

impl Parser<'_> {
    fn peek(&self) -> &Spanned {
        &self.tokens[self.next]
    }

    /// Moves past the current token, which `End` never is when this is called.
    fn advance(&mut self) -> &Spanned {
        let token = &self.tokens[self.next];
        self.next += 1;
        token
    }

    fn error(&self, expected: &str) -> ParseError {
        let token = self.peek();
        ParseError {
            position: token.position,
            message: format!("expected {expected}, found {}", token.found()),
        }
    }

    fn sum(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.product()?;
        loop {
            let op = match self.peek().token {
                Token::Plus => Op::Add,
                Token::Minus => Op::Sub,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.product()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn product(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.negation()?;
        loop {
            let op = match self.peek().token {
                Token::Star => Op::Mul,
                Token::Slash => Op::Div,
                _ => return Ok(left),
            };
            self.advance();
            let right = self.negation()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn negation(&mut self) -> Result<Expr, ParseError> {
        if self.peek().token == Token::Minus {
            self.advance();
            return Ok(Expr::Neg(Box::new(self.negation()?)));
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr, ParseError> {
        let base = self.operand()?;
        if self.peek().token != Token::Caret {
            return Ok(base);
        }
        self.advance();

        // The exponent is read as a negation, which reads its own power: this is what makes
        // `^` group to the right and accept `x^-2`.
        let exponent = self.negation()?;
        Ok(Expr::Binary(Op::Pow, Box::new(base), Box::new(exponent)))
    }

    fn operand(&mut self) -> Result<Expr, ParseError> {
        let token = self.peek();
        match &token.token {
            Token::Number(value) => {
                let value = *value;
                self.advance();
                Ok(Expr::Number(value))
            }
            Token::Name(name) if name == "x" => {
                self.advance();
                Ok(Expr::X)
            }
            Token::Name(_) => self.call(),
            Token::Open => {
                self.advance();
                let inner = self.sum()?;
                self.close(Enclosing::Parentheses)?;
                Ok(inner)
            }
            _ => Err(self.error("a number, x, a function or '('")),
        }
    }

    /// A function name, its parenthesized arguments, and a check of their number.
    fn call(&mut self) -> Result<Expr, ParseError> {
        let name_token = self.advance();
        let (name, position) = (name_token.text.clone(), name_token.position);
        let opens = self.peek().token == Token::Open;

        let Some(function) = Function::named(&name) else {
            let message = if opens {
                format!("unknown function '{name}'; known: {}", known_functions())
            } else {
                format!(
                    "unknown name '{name}'; the variable is x and the functions are {}",
                    known_functions()
                )
            };
            return Err(ParseError { position, message });
        };
        if !opens {
            return Err(self.error(&format!("'(' after '{name}'")));
        }
        self.advance();

        let mut args = vec![self.sum()?];
        while self.peek().token == Token::Comma {
            self.advance();
            args.push(self.sum()?);
        }
        self.close(Enclosing::Arguments)?;

        if args.len() != function.arity() {
            let wanted = match function.arity() {
                1 => "1 argument".to_owned(),
                n => format!("{n} arguments"),
            };
            return Err(ParseError {
                position,
                message: format!("{name} takes {wanted}, found {}", args.len()),
            });
        }
        Ok(Expr::Call(function, args))
    }

    /// Consumes the `)` that ends a parenthesized expression or an argument list.
    fn close(&mut self, enclosing: Enclosing) -> Result<(), ParseError> {
        if self.peek().token == Token::Close {
            self.advance();
            return Ok(());
        }
        Err(self.error(match enclosing {
            Enclosing::Parentheses => "')' or an operator",
            Enclosing::Arguments => "',', ')' or an operator",
        }))
    }

    fn expect_end(&self) -> Result<(), ParseError> {
        match self.peek().token {
            Token::End => Ok(()),
            _ => Err(self.error("an operator or the end of the expression")),
        }
    }
}

/// The activation given with `--activation-expr`, as written and as parsed.
#[derive(Debug)]
pub struct CustomActivation {
    pub text: String,
    pub expr: Expr,
}

static CUSTOM: OnceLock<CustomActivation> = OnceLock::new();

/// Parses `text` and makes it the process's custom activation. Setting the same text again is
/// harmless; a different one is refused, since models may already be using the first.
pub fn set_custom_activation(text: &str) -> Result<&'static CustomActivation, String> {
    let expr = Expr::parse(text).map_err(|e| e.to_string())?;
    if !expr.uses_x() {
        return Err("the expression does not use x; an activation is a function of x".to_owned());
    }

    let custom = CUSTOM.get_or_init(|| CustomActivation { text: text.to_owned(), expr });
    if custom.text != text {
        return Err(format!("the custom activation is already \"{}\"", custom.text));
    }
    Ok(custom)
}

/// The custom activation, once [`set_custom_activation`] has set it.
pub fn custom_activation() -> Option<&'static CustomActivation> {
    CUSTOM.get()
}

#[cfg(test)]
mod tests {
    use tch::Kind;

    use super::*;

    fn reading(text: &str) -> String {
        Expr::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}")).to_string()
    }

    fn error(text: &str) -> ParseError {
        Expr::parse(text).expect_err(text)
    }

    /// A float32 grid that crosses zero, with a gradient attached.
    fn grid() -> Tensor {
        Tensor::linspace(-4.0, 4.0, 101, (Kind::Float, tch::Device::Cpu)).set_requires_grad(true)
    }

    fn values(t: &Tensor) -> Vec<f32> {
        Vec::try_from(t.detach()).unwrap()
    }

    /// Values and gradients of `f` on the grid, bit for bit.
    fn value_and_grad(f: impl Fn(&Tensor) -> Tensor) -> (Vec<f32>, Vec<f32>) {
        let x = grid();
        let y = f(&x);
        y.sum(Kind::Float).backward();
        (values(&y), values(&x.grad()))
    }

    fn eval_at(text: &str, x: f64) -> f64 {
        let x = Tensor::from_slice(&[x]);
        // A constant expression gives a 0-dimensional tensor; flattening reads either kind.
        Expr::parse(text).unwrap().eval(&x).reshape([-1]).double_value(&[0])
    }

    #[test]
    fn operators_bind_as_in_mathematics() {
        assert_eq!(reading("1 + 2 * 3"), "(1 + (2 * 3))");
        assert_eq!(reading("(1 + 2) * 3"), "((1 + 2) * 3)");
        assert_eq!(reading("1 - 2 - 3"), "((1 - 2) - 3)");
        assert_eq!(reading("8 / 4 / 2"), "((8 / 4) / 2)");
        assert_eq!(reading("2 * x ^ 3"), "(2 * (x ^ 3))");
        assert_eq!(reading("x * sigmoid(1.702 * x)"), "(x * sigmoid((1.702 * x)))");
    }

    #[test]
    fn power_groups_to_the_right_and_binds_tighter_than_unary_minus() {
        assert_eq!(reading("2 ^ 3 ^ 2"), "(2 ^ (3 ^ 2))");
        assert_eq!(reading("-x^2"), "(-(x ^ 2))");
        assert_eq!(reading("x^-2"), "(x ^ (-2))");
        assert_eq!(reading("2^-x^2"), "(2 ^ (-(x ^ 2)))");
        assert_eq!(reading("--x"), "(-(-x))");
        assert_eq!(reading("3 * -x"), "(3 * (-x))");
        assert_eq!(reading("1 - -x"), "(1 - (-x))");

        assert_eq!(eval_at("2 ^ 3 ^ 2", 0.0), 512.0);
        assert_eq!(eval_at("-x^2", 3.0), -9.0);
        assert_eq!(eval_at("(-x)^2", 3.0), 9.0);
        assert_eq!(eval_at("-2^2", 0.0), -4.0);
        assert_eq!(eval_at("x^-1", 4.0), 0.25);
    }

    #[test]
    fn numbers_take_decimals_and_exponents() {
        for (text, value) in [
            ("2", 2.0),
            ("2.5", 2.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e-3", 1e-3),
            ("1.5E+2", 150.0),
            ("3e2", 300.0),
            ("1.e5", 1e5),
        ] {
            assert_eq!(Expr::parse(text), Ok(Expr::Number(value)), "{text}");
        }
        assert_eq!(reading("1e-3*x"), "(0.001 * x)");
    }

    #[test]
    fn every_function_evaluates_like_its_tensor_op() {
        type TensorOp = fn(&Tensor) -> Tensor;
        let ops: [(Function, TensorOp); 10] = [
            (Function::Exp, |x| x.exp()),
            (Function::Log, |x| x.log()),
            (Function::Tanh, |x| x.tanh()),
            (Function::Sigmoid, |x| x.sigmoid()),
            (Function::Softplus, |x| x.softplus()),
            (Function::Erf, |x| x.erf()),
            (Function::Relu, |x| x.relu()),
            (Function::Abs, |x| x.abs()),
            (Function::Min, |x| x.minimum(&x.neg())),
            (Function::Max, |x| x.maximum(&x.neg())),
        ];
        assert_eq!(ops.map(|(f, _)| f), Function::ALL);

        for (function, op) in ops {
            let text = match function.arity() {
                1 => format!("{}(x)", function.name()),
                _ => format!("{}(x, -x)", function.name()),
            };
            let expr = Expr::parse(&text).unwrap();
            assert_eq!(
                expr,
                Expr::Call(
                    function,
                    match function.arity() {
                        1 => vec![Expr::X],
                        _ => vec![Expr::X, Expr::Neg(Box::new(Expr::X))],
                    }
                )
            );

            // log is NaN below zero; compare the bits so that NaN equals NaN.
            let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
            let (got, got_grad) = value_and_grad(|x| expr.eval(x));
            let (want, want_grad) = value_and_grad(op);
            assert_eq!(bits(got), bits(want), "{text}: values");
            assert_eq!(bits(got_grad), bits(want_grad), "{text}: gradients");
        }
    }

    #[test]
    fn an_expression_evaluates_like_the_same_function_built_from_ops() {
        let expr =
            Expr::parse("x * sigmoid(1.702 * x) - 0.5 * max(x, 0)^2 / (1 + exp(-x))").unwrap();
        let by_hand = |x: &Tensor| {
            let gate = x * (x * 1.702).sigmoid();
            let square = x.maximum(&x.zeros_like()).pow_tensor_scalar(2.0);
            gate - square * 0.5 / (x.neg().exp() + 1.0)
        };

        let (got, got_grad) = value_and_grad(|x| expr.eval(x));
        let (want, want_grad) = value_and_grad(by_hand);
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "value {i}: {a} vs {b}");
        }
        for (i, (a, b)) in got_grad.iter().zip(&want_grad).enumerate() {
            assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "gradient {i}: {a} vs {b}");
        }
    }

    #[test]
    fn constants_broadcast_and_keep_the_kind_of_x() {
        let x = Tensor::from_slice(&[1.0f64, 2.0, 3.0]);
        let y = Expr::parse("2 + 1 / 4").unwrap().eval(&x);
        assert_eq!(y.size(), Vec::<i64>::new());
        assert_eq!(y.kind(), Kind::Double);

        let y = Expr::parse("x + 1 / 4").unwrap().eval(&x);
        assert_eq!(Vec::<f64>::try_from(&y).unwrap(), vec![1.25, 2.25, 3.25]);
        assert!(!Expr::parse("2 * exp(1)").unwrap().uses_x());
        assert!(Expr::parse("2 * exp(-x)").unwrap().uses_x());
    }

    #[test]
    fn syntax_errors_name_the_position_and_what_was_expected() {
        let cases = [
            ("x * * 2", 5, "expected a number, x, a function or '(', found '*'"),
            ("(1 + 2 x", 8, "expected ')' or an operator, found 'x'"),
            ("x x", 3, "expected an operator or the end of the expression, found 'x'"),
            ("max(x 1)", 7, "expected ',', ')' or an operator, found '1'"),
            ("x +", 4, "expected a number, x, a function or '(', found the end of the expression"),
            ("", 1, "expected a number, x, a function or '(', found the end of the expression"),
            ("exp x", 5, "expected '(' after 'exp', found 'x'"),
            ("exp()", 5, "expected a number, x, a function or '(', found ')'"),
            ("1e", 3, "expected a digit in the exponent of '1e', found the end of the expression"),
            ("2e+x", 4, "expected a digit in the exponent of '2e+', found 'x'"),
            (". + x", 1, "expected a digit before or after '.', found a lone '.'"),
            ("1e999 * x", 1, "the number '1e999' is too large"),
        ];
        for (text, position, message) in cases {
            let e = error(text);
            assert_eq!((e.position, e.message.as_str()), (position, message), "{text:?}");
        }
        assert_eq!(error("x * * 2").to_string(), format!("position 5: {}", cases[0].2));
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        // Two no-break spaces, two bytes each in UTF-8, come before the '$'.
        let e = error("x\u{a0}*\u{a0}$");
        assert_eq!(e.position, 5);
        assert!(e.message.starts_with("unexpected character '$'; expected a number"), "{e}");
    }

    #[test]
    fn unknown_names_list_the_known_functions() {
        let e = error("2 * sin(x)");
        assert_eq!(e.position, 5);
        assert_eq!(
            e.message,
            "unknown function 'sin'; known: exp, log, tanh, sigmoid, softplus, erf, relu, abs, \
             min, max"
        );

        let e = error("y + 1");
        assert_eq!(e.position, 1);
        assert!(e.message.starts_with("unknown name 'y'; the variable is x"), "{e}");
        assert!(e.message.ends_with("relu, abs, min, max"), "{e}");
    }

    #[test]
    fn wrong_arity_says_how_many_arguments() {
        let e = error("max(x)");
        assert_eq!((e.position, e.message.as_str()), (1, "max takes 2 arguments, found 1"));
        let e = error("x + exp(x, 1)");
        assert_eq!((e.position, e.message.as_str()), (5, "exp takes 1 argument, found 2"));
        let e = error("min(x, 1, 2)");
        assert_eq!((e.position, e.message.as_str()), (1, "min takes 2 arguments, found 3"));
    }

    #[test]
    fn a_custom_activation_must_parse_and_use_x() {
        // Both are refused before the process-wide activation is touched.
        let e = set_custom_activation("x * (").unwrap_err();
        assert!(e.starts_with("position 6: expected a number"), "{e}");
        let e = set_custom_activation("2 * exp(1)").unwrap_err();
        assert!(e.contains("does not use x"), "{e}");
    }
}
