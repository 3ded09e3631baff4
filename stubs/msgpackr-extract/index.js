throw new Error('msgpackr-extract stub: msgpackr uses its pure JavaScript decoder');
